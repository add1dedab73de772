import { expect } from 'chai';
import { hostRole, type HostRole } from '../../src/recognize/host-names.ts';

// What a name's words say about its value, for hosts (issue 20). One row per name; the docs'
// tables in docs/detection.md list the same words.
const rows: [string, HostRole][] = [
  // Names that say the value is a host the program reaches.
  ['DB_HOST', 'reach'], ['PGHOST', 'reach'], ['MYSQLHOST', 'reach'], ['DATABASEURL', 'reach'], ['REDIS_ADDR', 'reach'],
  ['SMTP_SERVER', 'reach'], ['OTEL_EXPORTER_OTLP_ENDPOINT', 'reach'], ['KAFKA_BROKERS', 'reach'], ['KAFKA_BOOTSTRAP_SERVERS', 'reach'],
  ['CASSANDRA_CONTACT_POINTS', 'reach'], ['SMTP_RELAY', 'reach'], ['HTTPS_PROXY', 'reach'], ['http_proxy', 'reach'], ['API_URL2', 'reach'],
  ['MYSQL_SERVICE_IP', 'reach'], ['https.proxyHost', 'reach'], ['bootstrap.servers', 'reach'], ['host', 'reach'], ['address', 'reach'],
  ['discovery.seed_hosts', 'reach'], ['EXTERNAL_API_URL', 'reach'], ['API_BASE_URL', 'reach'], ['SLACK_WEBHOOK_URL', 'reach'],
  ['metrics-endpoint', 'reach'], ['DB_HOST_NAME', 'reach'], ['dns-server', 'reach'],
  // Names that list hosts the program serves, accepts or excludes.
  ['NO_PROXY', 'listed'], ['no_proxy', 'listed'], ['DJANGO_ALLOWED_HOSTS', 'listed'], ['VIRTUAL_HOST', 'listed'], ['LETSENCRYPT_HOST', 'listed'],
  ['SESSION_COOKIE_DOMAIN', 'listed'], ['CORS_ALLOWED_ORIGINS', 'listed'], ['CSRF_TRUSTED_ORIGINS', 'listed'], ['PUBLIC_URL', 'listed'],
  ['GF_SERVER_ROOT_URL', 'listed'], ['web.external-url', 'listed'], ['listen-address', 'listed'], ['health-probe-bind-address', 'listed'],
  ['initial-advertise-peer-urls', 'listed'], ['KAFKA_ADVERTISED_HOST_NAME', 'listed'], ['OAUTH_REDIRECT_URI', 'listed'], ['HOSTNAME', 'listed'],
  ['SERVER_NAME', 'listed'], ['APISERVER_RA_IMAGE', 'listed'], ['NEXT_PUBLIC_API_URL', 'listed'], ['PUBLIC_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'listed'],
  // Names that say what else the value is.
  ['DJANGO_SETTINGS_MODULE', 'quiet'], ['METRICS_DOMAIN', 'quiet'], ['APP_VERSION', 'quiet'], ['stackdriver-prefix', 'quiet'], ['group.id', 'quiet'],
  ['OTEL_RESOURCE_ATTRIBUTES', 'quiet'], ['CONFIG_FILE', 'quiet'], ['service.name', 'quiet'],
  // Names that say nothing.
  ['FOO', 'other'], ['TARGET', 'other'], ['magic-dns', 'other'], ['note', 'other'], ['retention.ms', 'quiet'], ['DB_HOST_PORT', 'quiet'],
];

describe('what a name says about hosts', () => {
  for (const [name, role] of rows) it(`${name} is ${role}`, () => { expect(hostRole(name)).to.equal(role); });
});
