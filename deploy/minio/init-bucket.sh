#!/bin/sh
# One-shot job (compose's minio-init, in the quay.io/minio/mc image): the picture bucket, the
# image store's own key limited to it, and the retention rule. Idempotent: run on every `up`.
#
# Reads MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY and
# PICTURE_RETENTION_DAYS (0 keeps pictures forever).
set -eu

mc alias set sophon http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"
mc mb --ignore-existing "sophon/$S3_BUCKET"

# The image store only checks the bucket and writes (and may read back) pictures in it.
# Shell built-ins only beyond mc: the mc image is minimal.
if [ "$S3_ACCESS_KEY" != "$MINIO_ROOT_USER" ]; then
  policy="${TMPDIR:-/tmp}/sophon-picture-writer.json"
  printf '%s\n' '{' \
    '  "Version": "2012-10-17",' \
    '  "Statement": [' \
    "    { \"Effect\": \"Allow\", \"Action\": [\"s3:GetBucketLocation\", \"s3:ListBucket\"], \"Resource\": [\"arn:aws:s3:::$S3_BUCKET\"] }," \
    "    { \"Effect\": \"Allow\", \"Action\": [\"s3:PutObject\", \"s3:GetObject\"], \"Resource\": [\"arn:aws:s3:::$S3_BUCKET/*\"] }" \
    '  ]' \
    '}' > "$policy"
  mc admin policy create sophon sophon-picture-writer "$policy"
  # Adding an existing user sets its secret: a changed S3_SECRET_KEY takes effect on the next up.
  mc admin user add sophon "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
  # Attaching a policy that is already attached is an error: attach only when it is missing.
  info=$(mc admin user info sophon "$S3_ACCESS_KEY")
  case "$info" in
    *sophon-picture-writer*) ;;
    *) mc admin policy attach sophon sophon-picture-writer --user "$S3_ACCESS_KEY" ;;
  esac
fi

# Retention: replace whatever rules there were by one expiry rule over the whole bucket.
# Removing rules from a bucket that has none fails, which is fine here.
mc ilm rule rm --all --force "sophon/$S3_BUCKET" > /dev/null 2>&1 || true
if [ "$PICTURE_RETENTION_DAYS" -gt 0 ]; then
  mc ilm rule add --expire-days "$PICTURE_RETENTION_DAYS" "sophon/$S3_BUCKET"
fi
echo "bucket $S3_BUCKET ready; pictures kept $PICTURE_RETENTION_DAYS days (0: forever)"
