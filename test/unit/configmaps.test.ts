import { expect } from 'chai';
import { CONFIGMAP_LISTED } from '../../src/policy/configmaps.ts';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { judge } from '../../src/policy/judge.ts';
import { catalogOf, judgeCreate, policyOf } from '../helpers/policy.ts';
import { fakeRandom } from '../helpers/objects.ts';

// Planted credentials are assembled at run time: this file holds none a scanner would flag.
const PW = ['Tr0ub4dor', '-', 'x9Q!'].join('');
const PW2 = ['summer', '2024', 'Zq'].join('');
const GH = 'ghp_' + fakeRandom(36, undefined, 1);
const JWT = 'eyJ' + 'hbGciOiJIUzI1NiJ9' + '.eyJ' + 'zdWIiOiIxMjM0NTY3ODkwIn0' + '.' + 'SflKxwRJSMeKKF2QT4fwpM';

const configMap = (data: Record<string, string>, namespace = 'shop', name = 'app-config'): Record<string, unknown> =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
const ns = (name: string, mode: string): Record<string, unknown> =>
  ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'extguard.io/mode': mode } } });

const URL_TOKEN = ['Q7x9Lm2Kd8', 'Wz4Rt6Vb3NpY5'].join('');
const verdictOf = (data: Record<string, string>) => judgeCreate(configMap(data), catalogOf([])).verdict;

interface Row { what: string; data: Record<string, string>; path?: string; secret: string }

const positives: Row[] = [
  { what: 'an envFrom-style key DB_PASSWORD', data: { DB_PASSWORD: PW }, path: 'data.DB_PASSWORD', secret: PW },
  { what: 'a dotted key naming a password (Spring Cloud Kubernetes reads keys as properties)', data: { 'spring.datasource.password': PW }, secret: PW },
  { what: 'spring.datasource.password= in application.properties', data: { 'application.properties': `spring.datasource.url=jdbc:postgresql://db/shop\nspring.datasource.password=${PW}\n` }, path: 'data["application.properties"]', secret: PW },
  { what: 'a properties `key: value` line', data: { 'app.properties': `db.password: ${PW}` }, secret: PW },
  { what: 'a properties `key value` line', data: { 'app.properties': `db.password ${PW}` }, secret: PW },
  { what: 'a properties value continued over lines', data: { 'app.properties': `api.token=\\\n    ${PW}` }, secret: PW },
  { what: 'a JAAS line with a literal password', data: { 'server.properties': `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n  username="alice" \\\n  password="${PW}";` }, secret: PW },
  { what: 'requirepass in redis.conf', data: { 'redis.conf': `port 6379\nrequirepass ${PW}\n` }, secret: PW },
  { what: 'masterauth in redis.conf', data: { 'redis.conf': `masterauth ${PW}` }, secret: PW },
  { what: 'a redis ACL >password', data: { 'users.acl.conf': `user app on >${PW} ~* +@all` }, secret: PW },
  { what: '[client] password= in my.cnf', data: { 'my.cnf': `[client]\nuser=root\npassword=${PW}\n` }, secret: PW },
  { what: 'an INI password under a section', data: { 'grafana.ini': `[security]\nadmin_password = ${PW}\n` }, secret: PW },
  { what: 'a .conf with sections is INI', data: { 'pgbouncer.conf': `[databases]\n[pgbouncer]\nauth_password = ${PW}\n` }, secret: PW },
  { what: 'an nginx Authorization header', data: { 'nginx.conf': `location / { proxy_set_header Authorization "Bearer ${GH.slice(4)}"; proxy_pass http://api; }` }, secret: GH.slice(4) },
  { what: 'a password in a postgres URL anywhere in the text', data: { 'entrypoint.sh': `#!/bin/sh\nexec app --db postgres://shop:${PW2}@db:5432/shop\n` }, secret: PW2 },
  { what: 'a password in a URL in a YAML value', data: { 'config.yaml': `database:\n  url: postgres://shop:${PW2}@db:5432/shop\n` }, secret: PW2 },
  { what: 'a nested YAML password', data: { 'application.yaml': `spring:\n  datasource:\n    password: ${PW}\n` }, secret: PW },
  { what: 'a YAML env list entry', data: { 'values.yaml': `env:\n  - name: DB_PASSWORD\n    value: "${PW}"\n` }, secret: PW },
  { what: 'a YAML flow map', data: { 'a.yml': `db: {user: app, password: "${PW}"}` }, secret: PW },
  { what: 'a JSON password', data: { 'settings.json': `{"db": {"user": "app", "password": "${PW}"}}` }, secret: PW },
  { what: 'a TOML password', data: { 'config.toml': `[db]\npassword = "${PW}"\n` }, secret: PW },
  { what: 'a TOML inline table', data: { 'config.toml': `db = { user = "app", password = "${PW}" }\n` }, secret: PW },
  { what: 'a dotenv API_KEY', data: { '.env': `NODE_ENV=production\nexport API_KEY=${PW}\n` }, secret: PW },
  { what: 'a *.env file', data: { 'prod.env': `SECRET_KEY_BASE="${PW}"\n` }, secret: PW },
  { what: 'a .pgpass line', data: { '.pgpass': `db:5432:*:app:${PW}\n` }, secret: PW },
  { what: 'libpq primary_conninfo in postgresql.conf', data: { 'postgresql.conf': `primary_conninfo = 'host=primary user=rep password=${PW}'\n` }, secret: PW },
  { what: 'a GitHub token in a script', data: { 'run.sh': `curl -H "x: ${GH}" https://api.github.com` }, secret: GH },
  { what: 'a JWT in a Corefile-like text', data: { Corefile: `# ${JWT}\n.:53 { errors }` }, secret: JWT },
  { what: 'a GitHub token as the value of an unnamed variable', data: { CONFIG: GH }, secret: GH },
  { what: 'a private key under tls.key', data: { 'tls.key': '-----BEGIN ' + 'PRIVATE KEY-----\nMIIEv' + fakeRandom(64, undefined, 5) + '\n-----END PRIVATE KEY-----\n' }, secret: 'MIIEv' },
  { what: 'CREATE USER … WITH PASSWORD in an init.sql (postgres docker-entrypoint-initdb.d)', data: { 'init.sql': `CREATE DATABASE shop;\nCREATE USER shop WITH ENCRYPTED PASSWORD '${PW}';\n` }, secret: PW },
  { what: 'IDENTIFIED BY in a shell init script', data: { 'init.sh': `#!/bin/sh\nmysql -uroot <<SQL\nCREATE USER 'app'@'%' IDENTIFIED BY '${PW}';\nSQL\n` }, secret: PW },
  { what: 'db.createUser pwd in a mongo init script', data: { 'init-mongo.js': `db.createUser({user: 'app', pwd: '${PW}', roles: ['readWrite']})` }, secret: PW },
  { what: 'a JSON document under a bare key with a literal password in it', data: { credentials: `{"s3": {"accessKey": "AKIA", "secretAccessKey": "${PW}"}}` }, secret: PW },
  { what: 'a one-line value under a bare sensitive key is the variable', data: { credentials: PW }, secret: PW },
  { what: 'a token as the user of a URL (as in env values)', data: { 'run.sh': `git clone https://${URL_TOKEN}@git.internal/app.git` }, secret: URL_TOKEN },
  { what: 'a session cookie in an nginx header (as in probe headers)', data: { 'nginx.conf': `location / { proxy_set_header Cookie "session=${PW}"; proxy_pass http://api; }` }, secret: PW },
  { what: 'a token format inside Knative _example is still a token', data: { _example: `# example\ngithub-token: ${GH}\n` }, secret: GH },
  { what: 'a Spring default after the placeholder is what the program gets', data: { 'application.properties': `spring.datasource.password=\${DB_PASSWORD:${PW}}` }, secret: PW },
];

describe('ConfigMaps: plaintext credentials in their data are denied (enforce)', () => {
  for (const row of positives) {
    it(row.what, () => {
      const v = verdictOf(row.data);
      expect(v.allowed, JSON.stringify(v.violations.map((x) => x.path))).to.equal(false);
      expect(v.violations[0]!.rule).to.equal('plaintext-credential');
      if (row.path) expect(v.violations[0]!.path).to.equal(row.path);
      // Never echoed: not in messages, warnings or audit annotations.
      const shown = JSON.stringify(v);
      expect(shown).not.to.contain(row.secret);
    });
  }

  it('says which key, which grammar and line, and the fix', () => {
    const v = verdictOf({ 'application.properties': `a=1\nspring.datasource.password=${PW}\n` });
    const m = v.violations[0]!.message;
    expect(m).to.contain('ConfigMap shop/app-config');
    expect(m).to.contain('"application.properties"');
    expect(m).to.contain('Java properties');
    expect(m).to.contain('line 2');
    expect(m).to.contain('Secret');
    expect(m).not.to.contain(PW);
  });

  it('lists every credential of a file, up to a bound, and counts the rest', () => {
    const many = Array.from({ length: 300 }, (_, i) => `k${i}.password=${PW}${i}`).join('\n');
    const v = verdictOf({ 'a.properties': many });
    expect(v.violations).to.have.length(201);
    expect(v.violations[200]!.message).to.contain('100 more');
    expect(JSON.stringify(v)).not.to.contain(PW);
  });

  it('extra patterns and sensitive names from the configuration apply', () => {
    const policy = policyOf('credentials:\n  sensitiveNames: [pin]\n  extraPatterns: [{ name: acme, pattern: "acme_[a-z0-9]{16}" }]\n');
    expect(judgeCreate(configMap({ 'a.yaml': `card:\n  pin: ${PW}\n` }), catalogOf([]), policy).verdict.allowed).to.equal(false);
    expect(judgeCreate(configMap({ 'x.sh': `echo acme_${'a1b2c3d4e5f6a7b8'}` }), catalogOf([]), policy).verdict.allowed).to.equal(false);
  });
});

describe('ConfigMaps: modes, updates, subjects', () => {
  const bad = configMap({ DB_PASSWORD: PW });
  it('warn namespaces warn and admit; audit annotates', () => {
    const warn = judgeCreate(bad, catalogOf([ns('shop', 'warn')])).verdict;
    expect(warn.allowed).to.equal(true);
    expect(warn.warnings.join('\n')).to.contain('plaintext-credential').and.not.contain(PW);
    const audit = judgeCreate(bad, catalogOf([ns('shop', 'audit')])).verdict;
    expect(audit.allowed).to.equal(true);
    expect(audit.warnings).to.deep.equal([]);
    expect(audit.auditAnnotations['violations']).to.contain('data.DB_PASSWORD').and.not.contain(PW);
  });
  it('off and exempt namespaces are not judged', () => {
    expect(judgeCreate(bad, catalogOf([ns('shop', 'off')])).verdict.violations).to.deep.equal([]);
    expect(judgeCreate(configMap({ DB_PASSWORD: PW }, 'kube-system'), catalogOf([])).verdict.violations).to.deep.equal([]);
  });
  it('the subject is the ConfigMap', () => {
    expect(judgeCreate(bad, catalogOf([])).subject).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'app-config' });
  });
  it('an UPDATE judges only the keys it changes', () => {
    const old = configMap({ DB_PASSWORD: PW, LOG: 'info' });
    const input = (object: unknown) => ({ operation: 'UPDATE', object, oldObject: old, namespace: 'shop', dryRun: false });
    expect(judge(input(configMap({ DB_PASSWORD: PW, LOG: 'debug' })), catalogOf([]), policyOf()).verdict.allowed).to.equal(true);
    expect(judge(input(configMap({ DB_PASSWORD: PW2, LOG: 'info' })), catalogOf([]), policyOf()).verdict.allowed).to.equal(false);
    expect(judge(input(configMap({ DB_PASSWORD: PW, API_TOKEN: PW2 })), catalogOf([]), policyOf()).verdict.allowed).to.equal(false);
  });
  it('a ConfigMap being deleted may lose its finalizers', () => {
    const deleting = { ...bad, metadata: { name: 'app-config', namespace: 'shop', deletionTimestamp: '2024-01-01T00:00:00Z' } };
    expect(judgeCreate(deleting, catalogOf([])).verdict.allowed).to.equal(true);
  });
  it('binaryData is not read', () => {
    const o = { ...configMap({}), binaryData: { DB_PASSWORD: Buffer.from(PW).toString('base64') } };
    expect(judgeCreate(o, catalogOf([])).verdict.allowed).to.equal(true);
  });
  it('hosts in a ConfigMap are not judged: no host denial, no host warning', () => {
    const v = verdictOf({ API_URL: 'https://api.stripe.com/v1', 'nginx.conf': 'proxy_pass https://evil.example.net;', 'a.yaml': 'endpoint: 169.254.169.254' });
    expect(v.violations).to.deep.equal([]);
    expect(v.warnings).to.deep.equal([]);
  });
});

describe('ConfigMaps: ordinary configuration stays allowed', () => {
  const stock = parseAllDocuments(readFileSync(new URL('../fixtures/configmaps/stock.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  for (const o of stock) {
    const meta = o['metadata'] as { name: string; namespace: string };
    it(`stock ConfigMap ${meta.namespace}/${meta.name}`, () => {
      const v = judgeCreate(o, catalogOf([])).verdict;
      expect(v.violations.map((x) => x.message)).to.deep.equal([]);
    });
  }

  const settings: [string, Record<string, string>][] = [
    ['settings about credentials', { PASSWORD_MIN_LENGTH: '12', TOKEN_TTL: '3600', SECRET_NAME: 'db-credentials', 'jwt.token-validity-seconds': '86400', AUTH: 'oauth2', DB_PASSWORD_FILE: '/run/secrets/pw' }],
    ['references and placeholders', { DB_PASSWORD: '${DB_PASSWORD}', API_KEY: '$(API_KEY)', 'a.properties': 'db.password=${env:DB_PW}\napi.key=@api.key@\n', 'grafana.ini': '[security]\nadmin_password = $__env{GF_PW}\n' }],
    ['ciphertext a config server decrypts', { 'application.yml': "db:\n  password: '{cipher}AQA7kz1bW0q'\nother:\n  token: ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)\n" }],
    ['a self-named template value', { API_KEY: 'API_KEY', 'a.env': 'TOKEN=TOKEN\n' }],
    ['placeholders for the reader', { 'a.properties': 'password=<password>\ntoken=changeme-here\nsecret=xxxxxxxx\n' }],
    ['a commented-out directive', { 'redis.conf': '# requirepass foobared\nport 6379\n' }],
    ['empty values', { DB_PASSWORD: '', 'a.properties': 'password=\n', 'my.cnf': '[client]\npassword=\n' }],
    ['a .sql file with no credential', { 'init.sql': 'CREATE TABLE t (password_hash text);' }],
    // Found by reading real repositories' findings (issue 21's after-run).
    ['nsswitch.conf names sources, not passwords', { 'nsswitch.conf': 'passwd:         compat\ngroup:          compat\nshadow:         compat\nhosts:          files dns\n' }],
    ['redis-ha placeholders an init script replaces', { 'redis.conf': 'requirepass replace-default-auth\nmasterauth replace-default-auth\n', 'sentinel.conf': 'sentinel auth-pass mymaster replace-default-auth\n' }],
    ['a JSON document under a bare key holds settings (KServe credentials)', { credentials: '{\n  "storageSpecSecretName": "storage-config",\n  "s3": {\n    "s3AccessKeyIDName": "AWS_ACCESS_KEY_ID",\n    "s3SecretAccessKeyName": "AWS_SECRET_ACCESS_KEY",\n    "s3Endpoint": ""\n  }\n}' }],
    ['a YAML document under a bare key holds settings', { credentials: 'secretName: storage-config\nkeyName: password\n' }],
    ['keys vendors publish for browsers (PostHog project key, Stripe publishable key)', { 'cassette.yaml': 'interactions:\n- request:\n    body: \'{"api_key": "phc_' + 'Q7mZk2Wd9Lx4Rt8Vb3Nc6Hf1Jp5Sy0Ga", "batch": []}\'\n', STRIPE_KEY: 'pk_live_' + '51HxQ2mZk2Wd9Lx4Rt8Vb3Nc' }],
    ['a YAML flow sequence under a credential-like key is a list (kube-state-metrics labelsFromPath)', { 'config.yaml': 'spec:\n  resources:\n    - labelsFromPath:\n        secret: [ status, secret ]\n' }],
    ['Knative _example is documentation; a ns/name under a *-secret key names a Secret', { _example: '# the secret for TLS\ndefault-tls-secret: "some-namespace/some-secret"\nadmin-password: hunter2-for-docs\n', 'default-tls-secret': 'knative-serving/routing-serving-certs' }],
    ['SQL passwords from psql variables and the environment', { 'init.sql': "CREATE USER app WITH PASSWORD :'app_password';\nALTER ROLE r PASSWORD NULL;\n", 'init.sh': 'psql -c "CREATE USER app WITH PASSWORD \'$APP_PASSWORD\'"\n' }],
    ['nginx basic auth realm and user file', { 'nginx.conf': 'auth_basic "Restricted";\nauth_basic_user_file /etc/nginx/.htpasswd;\nproxy_set_header Authorization $http_authorization;\n' }],
    ['an OpenTelemetry attribute', { 'collector.yaml': 'processors:\n  attributes:\n    actions:\n      - key: http.request.header.authorization\n        action: delete\n      - key: db.user\n        value: app\n        action: upsert\n' }],
    ['a Knative setting', { 'queue-sidecar-token-audiences': 'foo,bar', 'secure-pod-defaults': 'enabled' }],
    ['Kafka SASL mechanism and keystore', { 'client.properties': 'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nssl.keystore.location=/certs/ks.jks\nssl.keystore.password=${file:/certs/pw.properties:ks}\n' }],
  ];
  for (const [what, data] of settings) {
    it(what, () => {
      const v = verdictOf(data);
      expect(v.violations.map((x) => x.message)).to.deep.equal([]);
    });
  }
});

describe('check: workloads that read a ConfigMap among the inputs', () => {
  const deployment = (container: Record<string, unknown>, namespace = 'shop'): Record<string, unknown> => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x', ...container }] } } },
  });
  const docs = (...objects: Record<string, unknown>[]) => objects.map((object, i) => ({ source: `test#${i}`, object }));
  // A ConfigMap whose key is no credential name, so only the workload's variable name makes it one.
  const settings = configMap({ LOG_LEVEL: 'info', PASS: PW, mode: 'fast' });

  it('envFrom: each key is a variable, prefix applied; the finding is at the workload\'s envFrom and names the key', async () => {
    const { checkManifests } = await import('../../src/cli/report.ts');
    const run = checkManifests(docs(configMap({ LOG_LEVEL: 'info', DB_PASSWORD: PW }), deployment({ envFrom: [{ configMapRef: { name: 'app-config' } }] })), [], policyOf());
    const web = run.report.results.find((r) => r.kind === 'Deployment')!;
    expect(web.allowed).to.equal(false);
    const v = web.violations.find((x) => x.path.includes('envFrom'))!;
    expect(v.path).to.equal('spec.template.spec.containers[0].envFrom[0].configMapRef["DB_PASSWORD"]');
    expect(v.message).to.contain('ConfigMap app-config').and.contain('"DB_PASSWORD"').and.contain('Secret').and.not.contain(PW);
    // The ConfigMap itself is judged and listed too.
    expect(run.report.results.find((r) => r.kind === 'ConfigMap')?.allowed).to.equal(false);
  });

  it('envFrom with a prefix: the variable name is the prefix and the key', async () => {
    const { checkManifests } = await import('../../src/cli/report.ts');
    const run = checkManifests(docs(settings, deployment({ envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'DB_' }] })), [], policyOf());
    // DB_PASS is a credential's name; PASS alone in the ConfigMap is judged as a variable too.
    const web = run.report.results.find((r) => r.kind === 'Deployment')!;
    expect(web.violations.map((x) => x.path)).to.include('spec.template.spec.containers[0].envFrom[0].configMapRef["PASS"]');
  });

  it('configMapKeyRef: the value is judged under the env name', async () => {
    const { checkManifests } = await import('../../src/cli/report.ts');
    const cm = configMap({ value1: PW, level: 'info' });
    const run = checkManifests(docs(cm, deployment({ env: [{ name: 'API_TOKEN', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'value1' } } }, { name: 'LOG', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'level' } } }] })), [], policyOf());
    const web = run.report.results.find((r) => r.kind === 'Deployment')!;
    expect(web.violations.map((x) => x.path)).to.deep.equal(['spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef']);
    expect(web.violations[0]!.message).to.contain('key "value1" of ConfigMap app-config').and.not.contain(PW);
    // The ConfigMap alone holds nothing that says credential: it is not listed.
    expect(run.report.results.map((r) => r.kind)).to.deep.equal(['Deployment']);
  });

  it('a reference in the ConfigMap is no credential, and a ConfigMap of another namespace is not read', async () => {
    const { checkManifests } = await import('../../src/cli/report.ts');
    const refs = checkManifests(docs(configMap({ DB_PASSWORD: '${DB_PASSWORD}' }), deployment({ envFrom: [{ configMapRef: { name: 'app-config' } }] })), [], policyOf());
    expect(refs.report.summary.denied).to.equal(0);
    const other = checkManifests(docs(configMap({ v: PW }, 'other'), deployment({ env: [{ name: 'API_TOKEN', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'v' } } }] })), [], policyOf());
    // Not at hand: judged by the name alone, as the webhook does.
    const web = other.report.results.find((r) => r.kind === 'Deployment')!;
    expect(web.violations[0]!.message).to.contain('sensitive variable read from a ConfigMap');
  });
});

describe('ConfigMaps: bounded', () => {
  // Their time is measured by `npm run bench -- worst` (the configmap-* shapes), not here.
  it('answers every bench ConfigMap shape of the largest size with a bounded list of findings', async function () {
    this.timeout(120_000);
    const { shapes } = await import('../../bench/shapes.js');
    const cms = shapes().filter((x) => x.kind === 'ConfigMap');
    expect(cms.length).to.be.greaterThan(10);
    for (const s of cms) {
      const verdict = judgeCreate(JSON.parse(s.text()), catalogOf([])).verdict;
      expect(verdict.violations.length, s.name).to.be.at.most(CONFIGMAP_LISTED + 1);
    }
  });
});
