// The value side of the plaintext-credential rule: which names designate a credential (by the
// head of the name), which values are literals where they stand, formats inside structured
// values, vendor token formats, and the pod fields whose keys name what they hold.
import { expect } from 'chai';
import { compileCredentialSettings, findCredentials } from '../../src/policy/credentials.ts';
import { newBudget } from '../../src/objects/expand.ts';
import { containerTexts, podTexts, type ScannedText } from '../../src/objects/texts.ts';
import { viewWorkload } from '../../src/objects/workload.ts';
import { isSensitiveName, NO_EXTRA_NAMES } from '../../src/recognize/names.ts';
import { fakeRandom } from '../helpers/objects.ts';

// Planted secrets are assembled at run time so this file holds no scanner-tripping literal.
const PW = ['Tr0ub4dor', '-', 'x9Q!'].join('');
const settings = compileCredentialSettings({ sensitiveNames: [], extraPatterns: [] });

const textsOf = (container: Record<string, unknown>): ScannedText[] =>
  containerTexts({ name: 'c', list: 'containers', index: 0, container: { name: 'c', ...container }, path: 'spec.containers[0]', pointer: '/spec/containers/0' }, newBudget()).texts;
const env = (name: string, value: string): ScannedText[] => textsOf({ env: [{ name, value }] });
const argv = (command: string[], args: string[] = []): ScannedText[] => textsOf({ command, args });
const probe = (httpGet: Record<string, unknown>): ScannedText[] => textsOf({ readinessProbe: { httpGet: { port: 8080, ...httpGet } } });

/** Every text of a Pod, its own fields and its containers', with its metadata. */
function podTextsOf(spec: Record<string, unknown>, annotations: Record<string, string> = {}): ScannedText[] {
  const view = viewWorkload({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', annotations }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } }, 'shop')!;
  const budget = newBudget();
  return [...podTexts(view, budget), ...view.containers.flatMap((c) => containerTexts(c, budget, view.podMetadata).texts)];
}

const denied = (texts: ScannedText[]): boolean => findCredentials(texts, settings).length > 0;

function expectFound(what: string, texts: ScannedText[], secret?: string): void {
  const found = findCredentials(texts, settings);
  expect(found, what).to.have.length.greaterThan(0);
  if (secret) expect(JSON.stringify(found), `${what}: a finding never carries the value`).not.to.contain(secret);
}

describe('credential values', () => {
  describe('names: the head of the name says what the value is', () => {
    const sensitive = ['OIDC_PROVIDER_CLIENT_SECRET', 'SESSION_STORE_SECRET', 'CACHE_SECRET', 'BATCH_API_KEY', 'LABEL_STUDIO_API_KEY', 'REDIS_CACHE_PASSWORD',
      'KEY_STORE_PASSWORD', 'SECRET_MANAGER_TOKEN', 'TS_AUTHKEY', 'TAILSCALE_AUTHKEY', 'HEADSCALE_AUTH_KEY', 'RABBITMQ_ERLANG_COOKIE', 'RELEASE_COOKIE',
      'COSMOS_PRIMARY_KEY', 'EVENTHUB_SECONDARY_KEY', 'OPENAI_KEY', 'ANTHROPIC_KEY', 'SENDGRID_KEY', 'STRIPE_KEY', 'GOOGLE_MAPS_KEY', 'CONSUL_ENCRYPT',
      'NOMAD_GOSSIP_KEY', 'TOKEN_GITHUB', 'secretKeyBase', 'CLIENT_TOKEN', 'SERVICE_TOKEN', 'REFRESH_TOKEN', 'CSRF_SECRET'];
    for (const name of sensitive) {
      it(`${name} is sensitive`, () => expectFound(name, env(name, PW), PW));
    }
    const settingsNames: [string, string][] = [
      ['WEBHOOK_SECRET_NAMESPACE', 'kubeflow'], ['PASSWORD_SALT_ROUNDS', '12'], ['BCRYPT_SALT_ROUNDS', '10'], ['SECRET_MANAGER_PROJECT', 'acme-prod'],
      ['PASSWORD_HASHER', 'argon2id'], ['TOKEN_SIGNING_ALG', 'RS256'], ['TOKEN_TTL', '3600s'], ['PASSWORD_FILE', 'db-password'], ['SECRET_NAME', 'db-creds'],
      ['API_KEY_ID', 'k-prod-17'], ['AWS_ACCESS_KEY_ID', 'alice'], ['PASSWORD_MIN_LENGTH', 'twelve'], ['GPG_KEY_SERVER', 'keyserver.ubuntu.com'],
      ['AllowUsersToChangePassword', 'sometimes'], ['CACHE_KEY', 'users-v2'], ['SORT_KEY', 'createdAt'], ['PARTITION_KEY', 'tenantId'], ['KAFKA_KEY', 'orderId'],
      ['S3_KEY', 'backups/2024/db.tar.gz'], ['REDIS_KEY_PREFIX', 'shop:'], ['PRIMARY_KEY', 'id'], ['TABLE_PRIMARY_KEY', 'order_id'], ['SECRET_BACKEND', 'vault'],
      ['SECRET_MANAGER', 'aws'], ['SECRET_STORE', 'gcp-sm'], ['TOKEN_AUDIENCE', 'api'], ['ENCRYPT', 'aes'], ['SESSION_COOKIE', 'sid'], ['SECRET_REF_KEY', 'password'],
      // Tokens an API hands out for an operation: pagination, idempotency, an Auto Scaling hook.
      ['NEXT_TOKEN', 'eyAib2Zmc2V0IjogMTAwIH0x'], ['creation_token', 'my-product'], ['LifecycleActionToken', '536fc7d7-0dd4-a7a8-3d44-87a9-8b1f2dcb'],
      ['CONTINUATION_TOKEN', 'c2VjcmV0LXBhZ2UtMg'], ['GC_TOKEN_SRC', 'metadata'], ['csrf-token', 'Zk9xT2pLbVd1c2VyLXNlc3Npb24'],
    ];
    for (const [name, value] of settingsNames) {
      it(`${name}=${value} is a setting`, () => expect(denied(env(name, value))).to.equal(false));
    }
    it('a public GPG fingerprint under GPG_KEY (python image) is not a credential', () => {
      expect(denied(env('GPG_KEY', 'A035C8C19219BA821ECEA86B64E628F8D684696D'))).to.equal(false);
      expect(denied(env('GPG_KEYS', 'A035C8C19219BA821ECEA86B64E628F8D684696D 7169605F62C751356D054A26A821E680E5FA6305'))).to.equal(false);
      expectFound('a passphrase under GPG_KEY', env('GPG_KEY', PW), PW);
    });
    it('names are judged the same in isSensitiveName', () => {
      expect(isSensitiveName('OPENAI_KEY', NO_EXTRA_NAMES)).to.equal(true);
      expect(isSensitiveName('CACHE_KEY', NO_EXTRA_NAMES)).to.equal(false);
    });
  });

  describe('literals: what the reader of the value treats as not literal', () => {
    const b64 = '/' + fakeRandom(30, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 41) + '=';
    it('a base64 secret starting with / is not a path', () => expectFound('b64', env('DB_PASSWORD', b64), b64));
    it('a path is still a path', () => {
      expect(denied(env('DB_PASSWORD', '/etc/secrets/db/password'))).to.equal(false);
      expect(denied(env('TOKEN', '/var/run/secrets/tokens/vault-token'))).to.equal(false);
      expect(denied(env('PASSWORD', '/run/secrets/pw'))).to.equal(false);
    });
    const dollar = ['$uper', 'S3cret'].join('');
    it('$name in an env value is literal text to the kubelet', () => expectFound('env $', env('DB_PASSWORD', dollar), dollar));
    it('$NAME written as a variable name stays a (mistaken) reference', () => expect(denied(env('DB_PASSWORD', '$DB_PASSWORD_FROM_VAULT'))).to.equal(false));
    it('$name read by a shell is a reference', () => expect(denied(argv(['sh', '-c', `PGPASSWORD=${dollar} psql -h db`]))).to.equal(false));
    it('example and fake_password are values a container receives', () => {
      expectFound('example', env('POSTGRES_PASSWORD', 'example'), 'example');
      const fake = ['fake', 'password'].join('_');
      expectFound('fake', env('DB_PASSWORD', fake), fake);
    });
    it('documentation fillers of vendor formats stay allowed', () => {
      expect(denied(env('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE'))).to.equal(false);
      expect(denied(env('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'))).to.equal(false);
    });
    it('enter-the-dragon-1973 is not an instruction', () => {
      const v = ['enter', 'the', 'dragon', '1973'].join('-');
      expectFound('enter', env('DB_PASSWORD', v), v);
      expectFound('set', env('API_TOKEN', ['set', 'fire', 'to', 'the', 'rain', '9'].join('-')));
    });
    it('whole instruction phrases stay placeholders', () => {
      for (const v of ['REPLACE_ME', 'replace-me', 'your-api-key-here', 'INSERT_TOKEN_HERE', 'CHANGE_ME', '<your token>', 'enter-your-password', 'your_password', 'put-your-key-here', 'set-me']) {
        expect(denied(env('API_TOKEN', v)), v).to.equal(false);
      }
      expectFound('changeme is a real weak password', env('DB_PASSWORD', 'changeme'));
    });
    it('{{hunter2}} is text, not a template, when nothing renders it', () => {
      const v = `{{${['hunter', '2'].join('')}}}`;
      expectFound('braces', env('DB_PASSWORD', v), v);
      expect(denied(env('DB_PASSWORD', '{{ .Values.db.password }}'))).to.equal(false);
      expect(denied(env('API_TOKEN', '{{API_TOKEN}}'))).to.equal(false);
      expect(denied(env('API_TOKEN', '{{ api_token }}'))).to.equal(false);
    });
    it('what the program renders is a reference: Spring ${...}, Grafana $__env{...}', () => {
      expect(denied(env('SPRING_DATASOURCE_PASSWORD', '${DB_PASS}'))).to.equal(false);
      expect(denied(env('GF_SECURITY_ADMIN_PASSWORD', '$__env{ADMIN_PW}'))).to.equal(false);
      expect(denied(env('GF_SECURITY_ADMIN_PASSWORD', '$__file{/run/secrets/admin}'))).to.equal(false);
    });
  });

  describe('formats', () => {
    it('YAML flow mappings', () => expectFound('flow', env('APP_CONFIG', `{db: {host: db, password: ${PW}}}`), PW));
    it('a one-line spring.datasource.password: PW', () => expectFound('one line', env('APP_CONFIG', `spring.datasource.password: ${PW}`), PW));
    it('JSON keys with \\u escapes', () => expectFound('escape', env('APP_CONFIG', `{"pass\\u0077ord": "${PW}"}`), PW));
    it('each pair of a comma-separated list is judged', () => {
      const k = fakeRandom(32, undefined, 43);
      expectFound('otel', env('OTEL_EXPORTER_OTLP_HEADERS', `x-scope-orgid=t1,api-key=${k}`), k);
      expectFound('pairs', env('DB_OPTS', `username=svc,password=${PW}`), PW);
      expect(denied(env('OTEL_RESOURCE_ATTRIBUTES', 'service.name=shop,deployment.environment=prod,service.version=1.2'))).to.equal(false);
    });
    it('a token as the user part of a URL', () => {
      const gh = 'ghp_' + fakeRandom(36, undefined, 44);
      const tok = fakeRandom(40, undefined, 45);
      expectFound('ghp', env('REPO', `https://${gh}@github.com/org/repo.git`), gh);
      expectFound('token user', env('REPO', `https://${tok}@git.example.com/org/repo.git`), tok);
      expectFound('x-access-token', env('REPO', `https://x-access-token:${tok}@github.com/org/repo.git`), tok);
      expect(denied(env('REPO', 'https://git@github.com/org/repo.git'))).to.equal(false);
      expect(denied(env('REPO', 'ssh://deploy@host.example.com/srv/repo'))).to.equal(false);
      expect(denied(env('REPO', 'https://oauth2@gitlab.example.com/org/repo.git'))).to.equal(false);
      expect(denied(env('REPO', 'https://$(GIT_TOKEN)@github.com/org/repo.git'))).to.equal(false);
    });
    it('nested base64', () => {
      const inner = Buffer.from(`postgres://app:${PW}@db.example.com/app`).toString('base64');
      const outer = Buffer.from(inner).toString('base64');
      expectFound('double base64', env('BLOB', outer));
    });
    const formats: [string, string][] = [
      ['Telegram bot token', `${fakeRandom(10, '0123456789', 50)}:AA${fakeRandom(33, undefined, 51)}`],
      ['Twitter bearer (21 A)', 'A'.repeat(21) + 'MLhe' + 'A'.repeat(8) + fakeRandom(80, undefined, 52)],
      ['Typeform', 'tfp_' + fakeRandom(59, undefined, 53)],
      ['Defined Networking', 'dnkey-' + fakeRandom(26, undefined, 54) + '-' + fakeRandom(52, undefined, 55)],
      ['Plaid access token', 'access-production-' + ['1b2c3d4e', 'a1b2', 'c3d4', 'e5f6', 'a1b2c3d4e5f6'].join('-')],
      ['New Relic browser key', 'NRJS-' + fakeRandom(19, '0123456789abcdef', 56)],
      ['New Relic user key', 'NRAK-' + fakeRandom(27, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 57)],
      ['Sentry org token', 'sntrys_' + Buffer.from('{"iat":1687336543.698624,"url":null,"region_url":"https://us.sentry.io","org":"shop"}').toString('base64') + '_' + fakeRandom(43, undefined, 58)],
      ['Sourcegraph', 'sgp_' + fakeRandom(16, '0123456789abcdef', 59) + '_' + fakeRandom(40, '0123456789abcdef', 60)],
      ['Cloudflare origin CA', 'v1.0-' + fakeRandom(24, '0123456789abcdef', 61) + '-' + fakeRandom(146, '0123456789abcdef', 62)],
    ];
    for (const [what, token] of formats) {
      it(`${what} under a neutral name`, () => expectFound(what, env('APP_SETTING', token), token));
    }
    it('an OpenAI project key inside sh -c', () => {
      const key = 'sk-proj-' + fakeRandom(74, undefined, 63) + 'T3BlbkFJ' + fakeRandom(74, undefined, 64);
      expectFound('sk-proj', argv(['sh', '-c', `curl -s https://api.example.com -d "k=${key}"`]), key);
      // A project key's random part before the marker is not always 58 or 74 characters long.
      const key2 = 'sk-proj-' + fakeRandom(48, undefined, 65) + 'T3BlbkFJ' + fakeRandom(48, undefined, 66);
      expectFound('sk-proj quoted', argv(['sh', '-c', `exec app --model gpt '${key2}'`]), key2);
    });
    it('AWS unique-id prefixes name an entity: not credentials', () => {
      for (const p of ['AIDA', 'AROA', 'AGPA', 'ANPA', 'ANVA', 'APKA', 'AIPA']) expect(denied(env('APP_SETTING', p + 'JQABLZS4A3QDU576Q')), p).to.equal(false);
    });
  });

  describe('false alarms', () => {
    const ok: [string, ScannedText[]][] = [
      ['OTEL headers with Basic%20$(GC_TOKEN)', textsOf({ env: [{ name: 'GC_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'OTEL_EXPORTER_OTLP_HEADERS', value: 'Authorization=Basic%20$(GC_TOKEN)' }] })],
      ['OTEL headers with Bearer%20$(T)', textsOf({ env: [{ name: 'OTEL_EXPORTER_OTLP_HEADERS', value: 'authorization=Bearer%20${T}' }] })],
      ['SECRET_BACKEND=vault', env('SECRET_BACKEND', 'vault')],
      ['--webhook-secret-namespace=kubeflow', argv(['manager', '--webhook-secret-namespace=kubeflow'])],
      ['GPG_KEY fingerprint', env('GPG_KEY', '7169605F62C751356D054A26A821E680E5FA6305')],
      ['NGC_API_KEY=nvapi-NVKEY', env('NGC_API_KEY', 'nvapi-NVKEY')],
      ['OPENAI_API_KEY=sk-YOURKEY', env('OPENAI_API_KEY', 'sk-YOURKEY')],
      ['GITHUB_TOKEN=ghp_TOKEN', env('GITHUB_TOKEN', 'ghp_TOKEN')],
      ['SLACK_TOKEN=xoxb-TOKEN', env('SLACK_TOKEN', 'xoxb-BOT-TOKEN')],
      // Config providers resolve these at run time (OpenTelemetry, Kafka, Strimzi).
      ['OpenTelemetry ${env:NAME}', env('API_KEY', '${env:DD_API_KEY}')],
      ['a Secret named namespace/name under *_SECRET', env('DEFAULT_TLS_SECRET', 'istio-system/ingress-certs')],
      ['Kafka ${file:path:key}', env('KAFKA_PASSWORD', '${file:/opt/kafka/creds.properties:password}')],
      ['Strimzi ${secrets:ns/name:key}', env('SASL_PASSWORD', '${secrets:kafka/user:password}')],
    ];
    for (const [what, texts] of ok) it(what, () => expect(findCredentials(texts, settings)).to.deep.equal([]));
    it('a literal default after a variable is still denied (the program uses it when the variable is unset)', () => {
      expectFound('${PW:-x}', env('DB_PASSWORD', '${PW:-' + PW + '}'), PW);
      expectFound('${env:PW}x', env('DB_PASSWORD', '${env:PW}' + PW), PW);
    });
    it('a vendor prefix with a real random tail is still denied', () => expectFound('nvapi', env('NGC_API_KEY', 'nvapi-' + fakeRandom(64, undefined, 66))));
  });

  describe('probe headers and paths', () => {
    const t = fakeRandom(32, undefined, 70);
    it('?access_token= and ?api_key= in httpGet.path', () => {
      expectFound('access_token', probe({ path: `/healthz?access_token=${t}` }), t);
      expectFound('api_key', probe({ path: `/status?verbose=1&api_key=${t}` }), t);
      expect(denied(probe({ path: '/healthz?verbose=1&format=json' }))).to.equal(false);
    });
    it('a session cookie', () => {
      expectFound('cookie', probe({ httpHeaders: [{ name: 'Cookie', value: `theme=dark; session=${t}` }] }), t);
      expect(denied(probe({ httpHeaders: [{ name: 'Cookie', value: 'theme=dark; lang=en' }] }))).to.equal(false);
    });
    for (const name of ['X-Auth-Token', 'PRIVATE-TOKEN', 'apikey', 'X-Vault-Token']) {
      it(`header ${name}`, () => expectFound(name, probe({ httpHeaders: [{ name, value: t }] }), t));
    }
    it('header names in a script', () => {
      expectFound('curl PRIVATE-TOKEN', argv(['sh', '-c', `curl -sf -H "PRIVATE-TOKEN: ${t}" https://gitlab.example.com/api/v4/projects`]), t);
      expectFound('curl X-Vault-Token', argv(['sh', '-c', `curl -H 'X-Vault-Token: ${t}' https://vault.example.com/v1/kv`]), t);
      expect(denied(argv(['sh', '-c', 'curl -H "X-Vault-Token: $VAULT_TOKEN" https://vault.example.com/v1/kv']))).to.equal(false);
      expect(denied(argv(['sh', '-c', 'curl -H "Content-Type: application/json" https://api.example.com']))).to.equal(false);
    });
  });

  describe('pod fields judged by their key', () => {
    it('an annotation handed over by the downward API is named by its key', () => {
      const texts = podTextsOf({ containers: [{ name: 'c', image: 'x', env: [{ name: 'DB', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['db-password']" } } }] }] }, { 'db-password': PW });
      expectFound('downward env', texts, PW);
      const plain = podTextsOf({ containers: [{ name: 'c', image: 'x', env: [{ name: 'TEAM', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['team']" } } }] }] }, { team: 'payments-core' });
      expect(denied(plain)).to.equal(false);
    });
    it('a downwardAPI volume file is named by its path', () => {
      const vol = (path: string): Record<string, unknown> => ({ volumes: [{ name: 'v', downwardAPI: { items: [{ path, fieldRef: { fieldPath: "metadata.annotations['a']" } }] } }] });
      expectFound('downward file', podTextsOf(vol('db/password'), { a: PW }), PW);
      expect(denied(podTextsOf(vol('labels'), { a: 'payments-core' }))).to.equal(false);
    });
    it('csi.volumeAttributes and flexVolume.options by key', () => {
      expectFound('csi', podTextsOf({ volumes: [{ name: 'v', csi: { driver: 'blob.csi.azure.com', volumeAttributes: { storageAccount: 'acct', accountKey: PW } } }] }), PW);
      expectFound('flex', podTextsOf({ volumes: [{ name: 'v', flexVolume: { driver: 'acme/cifs', options: { username: 'svc', password: PW } } }] }), PW);
      expect(denied(podTextsOf({ volumes: [{ name: 'v', csi: { driver: 'secrets-store.csi.k8s.io', volumeAttributes: { secretProviderClass: 'vault-db', secretName: 'db' } } }] }))).to.equal(false);
      expect(denied(podTextsOf({ volumes: [{ name: 'v', csi: { driver: 'ebs.csi.aws.com', volumeAttributes: { fsType: 'ext4', kmsKeyId: 'alias/ebs' } } }] }))).to.equal(false);
    });
  });
});
