import { join } from 'node:path';

/** A user added to the test server's users.xml (18.16 has no SQL-defined users). */
export interface ClickHouseUser {
  name: string;
  password: string;
  /** `readonly` can SELECT but neither write nor send any settings. Default `default`. */
  profile?: 'default' | 'readonly';
  /** When given, only these databases (plus `system`, which 18.16 always allows) are visible. */
  databases?: string[];
}

export interface ServerConfigParams {
  /** ClickHouse's `path`; config.xml, users.xml and log/ live in it too. */
  dataDir: string;
  httpPort: number;
  tcpPort: number;
  interserverHttpPort: number;
  logLevel: string;
  timezone: string;
}

export interface UsersConfigParams {
  users: ClickHouseUser[];
  usersXmlFragment: string;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function logFiles(dataDir: string): { log: string; errorLog: string; console: string } {
  const logDir = join(dataDir, 'log');
  return {
    log: join(logDir, 'clickhouse-server.log'),
    errorLog: join(logDir, 'clickhouse-server.err.log'),
    console: join(logDir, 'console.log'),
  };
}

export function renderConfigXml(params: ServerConfigParams): string {
  const dir = params.dataDir.endsWith('/') ? params.dataDir : `${params.dataDir}/`;
  const logs = logFiles(params.dataDir);
  // Only what 18.16 needs, isolated from the host's install: every path is inside
  // our directory and every listener on 127.0.0.1 (by default it also binds ::1).
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>${escapeXml(params.logLevel)}</level>
    <log>${escapeXml(logs.log)}</log>
    <errorlog>${escapeXml(logs.errorLog)}</errorlog>
    <size>100M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${params.httpPort}</http_port>
  <tcp_port>${params.tcpPort}</tcp_port>
  <interserver_http_port>${params.interserverHttpPort}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>${escapeXml(dir)}</path>
  <tmp_path>${escapeXml(dir)}tmp/</tmp_path>
  <user_files_path>${escapeXml(dir)}user_files/</user_files_path>
  <format_schema_path>${escapeXml(dir)}format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <!-- 18.16 refuses to start without it ("Not found: mark_cache_size"); memory is taken on demand. -->
  <mark_cache_size>268435456</mark_cache_size>
  <!-- 18.16's built-in 10 s makes a SIGTERM wait ~8 s for clients' idle keep-alive sockets;
       3 s (the packaged config's value) stops in ~1 s and stays above @clickhouse/client's
       2.5 s idle_socket_ttl, so pooled sockets are never reused after the server dropped them. -->
  <keep_alive_timeout>3</keep_alive_timeout>
  <!-- DateTime parsing and formatting follow the server's zone; tests must not depend on the host's. -->
  <timezone>${escapeXml(params.timezone)}</timezone>
</yandex>
`;
}

const USER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function renderUser(user: ClickHouseUser): string {
  // The name becomes an XML element name, so it cannot be escaped, only checked.
  if (!USER_NAME.test(user.name)) {
    throw new Error(`ClickHouse user name ${JSON.stringify(user.name)} must match ${USER_NAME}`);
  }
  if (user.name === 'default') {
    throw new Error('the ClickHouse user "default" is built in; choose another name');
  }
  const databases = user.databases
    ? `
      <allow_databases>${user.databases.map((db) => `<database>${escapeXml(db)}</database>`).join('')}</allow_databases>`
    : '';
  return `
    <${user.name}>
      <password>${escapeXml(user.password)}</password>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>${user.profile ?? 'default'}</profile>
      <quota>default</quota>${databases}
    </${user.name}>`;
}

export function renderUsersXml(params: UsersConfigParams): string {
  return `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <!-- 18.16 only creates LowCardinality columns with this on; modern servers reject the
           setting, so it belongs to the test server's profile and never to the product's SQL. -->
      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
    </default>
    <readonly>
      <readonly>1</readonly>
    </readonly>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>::1</ip><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>${params.users.map(renderUser).join('')}
    ${params.usersXmlFragment}
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`;
}
