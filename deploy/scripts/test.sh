#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine: installs what is missing (as root: gcc,
# librdkafka-dev and clickhouse-server from apt; pnpm through corepack), builds the workspace,
# type-checks every .ts file, then runs the unit and integration tests. The tests start and stop
# their own servers (mock Kafka, ClickHouse, s3rver) on free ports.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v gcc >/dev/null || missing+=(gcc)
[ -f /usr/include/librdkafka/rdkafka_mock.h ] || missing+=(librdkafka-dev)
[ -x /usr/sbin/clickhouse-server ] || missing+=(clickhouse-server)
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}; run this as root or install them first" >&2
    exit 1
  fi
  echo "installing ${missing[*]}"
  apt-get update -qq
  # The packaged ClickHouse service is never started: the tests run their own servers.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
if ! command -v pnpm >/dev/null; then
  corepack enable
fi

pnpm install --frozen-lockfile
pnpm build
# Every .ts file, tests and deploy/ included (the build covers src/ only).
pnpm typecheck
pnpm test
