import { expect } from 'chai';
import { compileCredentialSettings, findCredentials } from '../../src/policy/credentials.ts';
import { newBudget } from '../../src/objects/expand.ts';
import { containerTexts, type ScannedText } from '../../src/objects/texts.ts';
import { fakeRandom } from '../helpers/objects.ts';

// Fake credentials are assembled at run time so this file holds no scanner-tripping literal.
const PW = ['Tr0ub4dor', '-', 'x9Q!'].join('');
const AWS_ID = 'AKIA' + fakeRandom(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567');
const GH = 'ghp_' + fakeRandom(36, undefined, 1);
const GL = 'glpat-' + fakeRandom(20, undefined, 2);
const SLACK = 'xoxb-' + fakeRandom(12, '0123456789', 3) + '-' + fakeRandom(24, undefined, 3);
const STRIPE = 'sk_live_' + fakeRandom(24, undefined, 4);
const JWT = 'eyJ' + 'hbGciOiJIUzI1NiJ9' + '.eyJ' + 'zdWIiOiIxMjM0NTY3ODkwIn0' + '.' + 'SflKxwRJSMeKKF2QT4fwpM';
const PEM = '-----BEGIN ' + 'PRIVATE KEY-----\nMIIEv' + fakeRandom(64, undefined, 5) + '\n-----END PRIVATE KEY-----';
const NPM = 'npm_' + fakeRandom(36, undefined, 6);
const GOOGLE = 'AIza' + fakeRandom(35, undefined, 8);

const settings = compileCredentialSettings({ sensitiveNames: ['pin'], extraPatterns: [{ name: 'acme token', pattern: 'acme_[a-z0-9]{16}' }] });

// Texts come from a container through the real pipeline (kubelet expansion, placeholders).
const textsOf = (container: Record<string, unknown>): ScannedText[] =>
  containerTexts({ name: 'c', list: 'containers', index: 0, container: { name: 'c', ...container }, path: 'spec.containers[0]', pointer: '/spec/containers/0' }, newBudget()).texts;
const env = (name: string, value: string): ScannedText[] => textsOf({ env: [{ name, value }] });
const argv = (command: string[], args: string[] = []): ScannedText[] => textsOf({ command, args });

interface Row { what: string; texts: ScannedText[]; found?: { path: string; what: RegExp }; secret?: string }

const positives: Row[] = [
  { what: 'a number as a JSON password', texts: env('CFG', '{"password": 83749283746215}'), found: { path: 'spec.containers[0].env[0].value', what: /structured value/ }, secret: '83749283746215' },
  { what: 'a number after code in the same JSON', texts: env('CFG', '{"password": 97(x)} {"token": 8817263544}'), secret: '8817263544' },
  { what: 'DB_PASSWORD with a literal', texts: env('DB_PASSWORD', PW), found: { path: 'spec.containers[0].env[0].value', what: /sensitive variable name/ }, secret: PW },
  { what: 'a setting word before the credential does not cancel it', texts: env('SECRET_MANAGER_TOKEN', PW), found: { path: 'spec.containers[0].env[0].value', what: /sensitive variable name/ }, secret: PW },
  // A digit suffix does not hide a credential's name: letters and digits are words of their own.
  ...['PASSWORD1', 'DB_PASSWORD2', 'SECRET1', 'API_TOKEN2', 'APIKEY1', 'dbPassword1'].map((name): Row => (
    { what: `${name} with a literal`, texts: env(name, PW), found: { path: 'spec.containers[0].env[0].value', what: /sensitive variable name/ }, secret: PW })),
  { what: 'camelCase dbPassword', texts: env('dbPassword', PW), secret: PW },
  { what: 'dotted db.password', texts: env('db.password', PW), secret: PW },
  { what: 'kebab api-key', texts: env('api-key', PW), secret: PW },
  { what: 'API_KEY', texts: env('API_KEY', PW), secret: PW },
  { what: 'CLIENT_SECRET', texts: env('CLIENT_SECRET', PW), secret: PW },
  { what: 'AWS_SECRET_ACCESS_KEY', texts: env('AWS_SECRET_ACCESS_KEY', fakeRandom(40, undefined, 9)), secret: fakeRandom(40, undefined, 9) },
  { what: 'GITHUB_TOKEN', texts: env('GITHUB_TOKEN', PW), secret: PW },
  { what: 'MYSQL_ROOT_PASSWORD', texts: env('MYSQL_ROOT_PASSWORD', PW), secret: PW },
  { what: 'REDIS_PASS', texts: env('REDIS_PASS', PW), secret: PW },
  { what: 'SSH_PASSPHRASE', texts: env('SSH_PASSPHRASE', PW), secret: PW },
  { what: 'a configured extra name (PIN)', texts: env('CARD_PIN', 'a1b2c3x'), secret: 'a1b2c3x' },
  { what: 'a weak literal such as changeme', texts: env('PASSWORD', 'changeme'), secret: 'changeme' },
  { what: 'an AWS access key ID under any name', texts: env('AWS_ID', AWS_ID), found: { path: 'spec.containers[0].env[0].value', what: /AWS access key ID/ }, secret: AWS_ID },
  { what: 'a GitHub token under any name', texts: env('GH', GH), found: { path: 'spec.containers[0].env[0].value', what: /GitHub token/ }, secret: GH },
  { what: 'a GitLab token', texts: env('X', GL), found: { path: 'spec.containers[0].env[0].value', what: /GitLab token/ }, secret: GL },
  { what: 'a Slack token', texts: env('X', SLACK), found: { path: 'spec.containers[0].env[0].value', what: /Slack token/ }, secret: SLACK },
  { what: 'a Stripe live key', texts: env('X', STRIPE), found: { path: 'spec.containers[0].env[0].value', what: /Stripe/ }, secret: STRIPE },
  { what: 'a JWT', texts: env('X', JWT), found: { path: 'spec.containers[0].env[0].value', what: /JWT/ }, secret: JWT },
  { what: 'a PEM private key', texts: env('TLS', PEM), found: { path: 'spec.containers[0].env[0].value', what: /PEM private key/ } },
  { what: 'an npm token', texts: env('X', NPM), found: { path: 'spec.containers[0].env[0].value', what: /npm token/ }, secret: NPM },
  { what: 'a Google API key', texts: env('X', GOOGLE), found: { path: 'spec.containers[0].env[0].value', what: /Google API key/ }, secret: GOOGLE },
  { what: 'a configured extra pattern', texts: env('X', 'acme_0123456789abcdef'), found: { path: 'spec.containers[0].env[0].value', what: /matches pattern "acme token"/ } },
  { what: 'a password in a URL', texts: env('DATABASE_URL', `postgres://app:${PW}@db.example.com:5432/app`), found: { path: 'spec.containers[0].env[0].value', what: /password in URL/ }, secret: PW },
  { what: 'a password in an AMQP URL in args', texts: argv(['worker'], [`--broker=amqps://u:${PW}@mq.example.com/vhost`]), found: { path: 'spec.containers[0].args[0]', what: /password in URL/ }, secret: PW },
  { what: 'a password in an ADO.NET connection string', texts: env('CONN', `Server=tcp:sql.example.net,1433;Database=app;User Id=app;Password=${PW};`), found: { path: 'spec.containers[0].env[0].value', what: /key=value/ }, secret: PW },
  { what: 'pwd= in an ODBC string', texts: env('ODBC', `DSN=x;UID=app;PWD=${PW}`), found: { path: 'spec.containers[0].env[0].value', what: /key=value/ } },
  { what: 'a libpq keyword string', texts: env('PG', `host=db.example.com password=${PW} dbname=app`), found: { path: 'spec.containers[0].env[0].value', what: /key=value/ } },
  { what: 'a Bearer header in a curl script', texts: argv(['sh', '-c'], [`curl -H "Authorization: Bearer ${PW}" https://api.example.com`]), found: { path: 'spec.containers[0].args[0]', what: /HTTP header/ }, secret: PW },
  { what: 'an X-Api-Key header', texts: argv(['curl'], ['-H', `X-Api-Key: ${PW}`]), found: { path: 'spec.containers[0].args[1]', what: /HTTP header/ } },
  { what: '--password=x', texts: argv(['app'], [`--password=${PW}`]), found: { path: 'spec.containers[0].args[0]', what: /command line/ }, secret: PW },
  { what: '--password x as two argv elements', texts: argv(['app'], ['--password', PW]), found: { path: 'spec.containers[0].args[1]', what: /command line/ }, secret: PW },
  { what: '--api-key x', texts: argv(['app', '--api-key', PW]), found: { path: 'spec.containers[0].command[2]', what: /command line/ } },
  { what: '--token=x', texts: argv(['vault', 'login', `--token=${PW}`]), found: { path: 'spec.containers[0].command[2]', what: /command line/ } },
  { what: '-pSECRET for mysql in sh -c', texts: argv(['sh', '-c', `mysql -uroot -p${PW} shop`]), found: { path: 'spec.containers[0].command[2]', what: /command line/ }, secret: PW },
  { what: '-pSECRET for mysqldump in bash -ec with &&', texts: argv(['/bin/bash', '-ec'], [`cd /tmp && mysqldump -h db -p${PW} app > d.sql`]), found: { path: 'spec.containers[0].args[0]', what: /command line/ } },
  { what: 'PGPASSWORD=x psql inline assignment', texts: argv(['sh', '-c', `PGPASSWORD=${PW} psql -h db -U app`]), found: { path: 'spec.containers[0].command[2]', what: /key=value|command line/ }, secret: PW },
  { what: 'curl -u user:pw', texts: argv(['curl', '-u', `admin:${PW}`, 'https://api.example.com']), found: { path: 'spec.containers[0].command[2]', what: /command line/ } },
  { what: '--password in a quoted script', texts: argv(['sh', '-c', `app --password '${PW}'`]), found: { path: 'spec.containers[0].command[2]', what: /command line/ } },
  { what: 'a mysql password in a shell comment (stored all the same)', texts: argv(['sh', '-c', `# mysql -uroot -p${PW} shop\nexec app`]), found: { path: 'spec.containers[0].command[2]', what: /command line/ }, secret: PW },
  { what: 'an assignment in a shell comment', texts: argv(['sh', '-c', `exec app # DB_PASSWORD=${PW}`]), found: { path: 'spec.containers[0].command[2]', what: /./ }, secret: PW },
  { what: 'a token after a newline in a script', texts: argv(['sh', '-c', `echo start\nexport API_TOKEN=${PW}`]), found: { path: 'spec.containers[0].command[2]', what: /./ } },
];

const negatives: Row[] = [
  { what: 'code that starts with digits after a JSON key (3.days, 12(x), 5[2], 9x)', texts: env('CFG', '{"password": 8374928374.5, "secret": 12(x), "token": 5[2], "api_key": 83749283746215x}') },
  { what: 'a $(VAR) reference', texts: env('DB_PASSWORD', '$(DB_PASSWORD_FROM_SECRET)') },
  { what: 'a ${VAR} reference', texts: env('DB_PASSWORD', '${DB_PASSWORD}') },
  { what: 'a $VAR reference', texts: env('DB_PASSWORD', '$SECRET') },
  { what: 'an empty value', texts: env('DB_PASSWORD', '') },
  { what: 'a placeholder <password>', texts: env('DB_PASSWORD', '<password>') },
  { what: 'stars', texts: env('DB_PASSWORD', '********') },
  { what: 'REDACTED', texts: env('TOKEN', 'REDACTED') },
  { what: 'a file path', texts: env('DB_PASSWORD', '/etc/secrets/password') },
  { what: 'a relative path', texts: env('TOKEN', './token.txt') },
  { what: 'PASSWORD_FILE', texts: env('PASSWORD_FILE', 'db-password') },
  { what: 'SECRETS_DIR', texts: env('SECRETS_DIR', 'secrets') },
  { what: 'TOKEN_PATH', texts: env('TOKEN_PATH', 'var-run-token') },
  { what: 'a single digit (a setting, not a PIN)', texts: env('PASSWORD', '0') },
  { what: 'AWS\'s documented example secret key', texts: env('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') },
  { what: 'a boolean', texts: env('ENABLE_TOKEN', 'true') },
  { what: 'ENABLE_TOKEN_AUTH', texts: env('ENABLE_TOKEN_AUTH', 'yes-please') },
  { what: 'TOKEN_TTL', texts: env('TOKEN_TTL', '3600') },
  { what: 'SESSION_TOKEN_TIMEOUT 30m', texts: env('SESSION_TOKEN_TIMEOUT', '30m') },
  { what: 'TOKEN_EXPIRY 24h', texts: env('TOKEN_EXPIRY', '24h') },
  { what: 'PASSWORD_MIN_LENGTH', texts: env('PASSWORD_MIN_LENGTH', 'twelve') },
  { what: 'PASSWORD_POLICY', texts: env('PASSWORD_POLICY', 'strict') },
  { what: 'SECRET_NAME', texts: env('SECRET_NAME', 'db-credentials') },
  // Real-repository run (issue 20): stock ECK operator installs name their webhook's TLS Secret.
  { what: 'a *_SECRET naming a certificate Secret object', texts: env('WEBHOOK_SECRET', 'elastic-webhook-server-cert') },
  { what: 'a flag naming the namespace of a Secret', texts: env('ARGS', '--webhook-secret-namespace=kubeflow') },
  // Settings about where and how secrets are kept (issue 21's false alarms).
  ...[['SECRET_BACKEND', 'vault'], ['SECRET_MANAGER', 'aws'], ['PASSWORD_HASHER', 'argon2id'], ['TOKEN_SIGNING_ALG', 'RS256'],
    ['PASSWORD_SALT_ROUNDS', '12'], ['SECRET_MANAGER_PROJECT', 'acme-prod'], ['SECRET_ENGINE', 'kv-v2']].map(([n, v]): Row => ({ what: `${n}=${v}`, texts: env(n!, v!) })),
  { what: 'SECRET_KEY_REF', texts: env('SECRET_KEY_REF', 'db-credentials/password') },
  { what: 'PASSWORD_HASH_ALGORITHM', texts: env('PASSWORD_HASH_ALGORITHM', 'bcrypt') },
  { what: 'TOKEN_ENDPOINT', texts: env('TOKEN_ENDPOINT', 'https://auth.example.com/oauth/token') },
  { what: 'AUTH_HEADER naming a header', texts: env('AUTH_TOKEN_HEADER', 'X-Api-Key') },
  { what: 'API_KEY_HEADER', texts: env('API_KEY_HEADER', 'Authorization') },
  { what: 'AUTH_TYPE', texts: env('AUTH_TYPE', 'basic') },
  { what: 'KEY_ALIAS', texts: env('KEY_ALIAS', 'server') },
  { what: 'a keyword inside another word (MONKEY)', texts: env('MONKEY', 'banana-split') },
  { what: 'PASSPORT_NUMBER', texts: env('PASSPORT_NUMBER', 'X1234567') },
  { what: 'BYPASS_CACHE', texts: env('BYPASS_CACHE', 'always') },
  { what: 'KEYCLOAK_REALM', texts: env('KEYCLOAK_REALM', 'shop') },
  { what: 'a URL without userinfo', texts: env('API_URL', 'https://api.example.com/v1') },
  { what: 'a URL with a user but no password', texts: env('GIT_URL', 'ssh://git@github.com/org/repo.git') },
  { what: 'a URL whose password is $(VAR)', texts: env('DATABASE_URL', 'postgres://app:$(DB_PASSWORD)@db:5432/app') },
  { what: 'a URL whose password is ${VAR}', texts: env('DATABASE_URL', 'postgres://app:${DB_PASSWORD}@db:5432/app') },
  { what: 'a connection string with Password=$(VAR)', texts: env('CONN', 'Server=db;Password=$(DB_PASSWORD);') },
  { what: 'an Authorization header from a variable', texts: argv(['sh', '-c', 'curl -H "Authorization: Bearer $TOKEN" https://api.example.com']) },
  { what: '--password-file', texts: argv(['app', '--password-file=/run/secrets/db']) },
  { what: '--password-stdin', texts: argv(['docker', 'login', '--password-stdin', 'registry']) },
  { what: '--token-ttl', texts: argv(['app', '--token-ttl', '3600']) },
  { what: '--password followed by another flag', texts: argv(['app', '--password', '--verbose']) },
  { what: 'a port flag -p 8080:80', texts: argv(['docker', 'run', '-p', '8080:80', 'nginx']) },
  { what: 'mysql -p alone (prompt)', texts: argv(['sh', '-c', 'mysql -uroot -p shop']) },
  { what: 'mysql -p$(VAR)', texts: argv(['sh', '-c', 'mysql -uroot -p$MYSQL_PWD shop']) },
  { what: '-p for a program other than mysql', texts: argv(['ssh', '-p2222', 'host']) },
  { what: 'psql -p 5432', texts: argv(['psql', '-p', '5432', '-h', 'db']) },
  { what: 'curl -u user without password', texts: argv(['curl', '-u', 'admin', 'https://api.example.com']) },
  { what: 'curl -u user:$VAR', texts: argv(['sh', '-c', 'curl -u admin:$PASS https://api.example.com']) },
  { what: 'an e-mail address', texts: env('ADMIN_EMAIL', 'ops@example.com') },
  { what: 'a UUID under a plain name', texts: env('REQUEST_ID', '0b7c4ad0-5b4a-4d0a-9f4e-0d1c2b3a4f5e') },
  { what: 'an image digest', texts: env('IMAGE', 'registry.example.com/app@sha256:' + 'a'.repeat(64)) },
  { what: 'base64 of ordinary config', texts: env('CONFIG_B64', 'eyJsb2dMZXZlbCI6ImluZm8ifQ==') },
  { what: 'a log level', texts: env('LOG_LEVEL', 'debug') },
  { what: 'a script without credentials', texts: argv(['sh', '-c', 'echo $HOME && ./run.sh --verbose']) },
  { what: 'PGPASSWORD from a variable', texts: argv(['sh', '-c', 'PGPASSWORD=$DB_PASS psql -h db']) },
  { what: 'sk- prefix that is not an OpenAI key', texts: env('MODE', 'sk-short') },
  { what: 'TOKEN_URL', texts: env('TOKEN_URL', 'https://auth.example.com/token') },
  { what: 'SECRET_VERSION', texts: env('SECRET_VERSION', 'latest') },
  { what: 'PASSWORD_RESET_URL', texts: env('PASSWORD_RESET_URL', 'reset-page') },
  { what: 'a plain name such as USERNAME', texts: env('DB_USERNAME', 'app') },
];

describe('plaintext-credential rule', () => {
  describe('finds', () => {
    for (const row of positives) {
      it(row.what, () => {
        const found = findCredentials(row.texts, settings);
        expect(found, JSON.stringify(row.texts.map((t) => t.path))).to.have.length(1);
        if (row.found) {
          expect(found[0]!.path).to.equal(row.found.path);
          expect(found[0]!.what).to.match(row.found.what);
        }
        // A finding never carries the credential.
        if (row.secret) expect(JSON.stringify(found)).not.to.contain(row.secret);
      });
    }
  });

  describe('leaves alone', () => {
    for (const row of negatives) {
      it(row.what, () => {
        expect(findCredentials(row.texts, settings)).to.deep.equal([]);
      });
    }
  });

  it('reports one finding per text even when several patterns match', () => {
    expect(findCredentials(env('DB_PASSWORD', `${GH} ${AWS_ID}`), settings)).to.have.length(1);
  });

  it('reads a value whole: padding does not hide a credential', () => {
    const pad = ' '.repeat(70_000);
    expect(findCredentials(env('DB_PASSWORD', `${pad}${PW}${pad}`), settings)).to.have.length(1);
    expect(findCredentials(env('DATABASE_URL', `${pad}postgres://u:${PW}@db.example.com/x`), settings)).to.deep.equal([{ path: 'spec.containers[0].env[0].value', what: 'password in URL' }]);
    expect(findCredentials(env('DB_PASSWORD', PW.repeat(1000)), settings), 'a 10 KB literal').to.have.length(1);
  });

  it('rejects an invalid extra pattern with a message naming it', () => {
    expect(() => compileCredentialSettings({ sensitiveNames: [], extraPatterns: [{ name: 'broken', pattern: '(' }] })).to.throw(/"broken": not a valid RE2 regular expression/);
  });

  it('refuses an extra pattern that needs backtracking (lookahead, backreference), naming it', () => {
    for (const pattern of ['(?=a)b', '(a)\\1']) {
      expect(() => compileCredentialSettings({ sensitiveNames: [], extraPatterns: [{ name: 'slow', pattern }] })).to.throw(/"slow": not a valid RE2 regular expression \(RE2 runs in linear time/);
    }
  });

  it('runs extra patterns in linear time, so a catastrophic pattern only costs a scan', () => {
    // (a+)+$ on "aaaa…b" takes exponential time on a backtracking engine; on RE2 it is one pass.
    const s = compileCredentialSettings({ sensitiveNames: [], extraPatterns: [{ name: 'nested', pattern: '(a+)+$' }, { name: 'acme', pattern: 'acme_[0-9a-f]{32}' }] });
    expect(findCredentials(env('X', `${'a'.repeat(5000)}!`), s)).to.deep.equal([]);
    expect(findCredentials(env('X', `key acme_${'0f'.repeat(16)}`), s)).to.deep.equal([{ path: 'spec.containers[0].env[0].value', what: 'matches pattern "acme"' }]);
  });
});
