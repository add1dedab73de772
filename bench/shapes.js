// Adversarial Deployments for `npm run bench -- worst`: each one is something an attacker (or a
// careless generator) can send through the API server, so each stays under its 3 MiB request
// limit. They aim at the judge's text scanning: long runs of the characters its patterns care
// about, half-finished URLs and tokens, many fields, long scripts and deep nesting.
// Shapes are JSON text, not objects, because JSON.stringify cannot write 100k-deep nesting.

export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;
const KiB = 1024;
const FILL = 2.5 * 1024 * KiB;

export function deployment(podSpec, name = 'worst', namespace = 'shop') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
    },
  };
}

const IMAGE = 'registry.example.com/shop/worst:1.0.0';
const app = (fields) => ({ name: 'app', image: IMAGE, ...fields });
const withContainer = (fields, namespace = 'shop') => JSON.stringify(deployment({ containers: [app(fields)] }, 'worst', namespace));
// Sized by the unit's bytes once written in JSON (a `"` takes two), so every shape fits.
const fill = (unit, bytes = FILL) => unit.repeat(Math.floor(bytes / (Buffer.byteLength(JSON.stringify(unit)) - 2)));
const size = (bytes) => (bytes >= 1024 * KiB ? `${bytes / (1024 * KiB)} MiB` : `${bytes / KiB} KiB`);

/** A mix of what real env lists hold: literal passwords, hosts, references, secretKeyRefs. */
function mixedEnv(n, prefix = '') {
  return Array.from({ length: n }, (_, i) => {
    switch (i % 5) {
      case 0: return { name: `${prefix}DB_PASSWORD_${i}`, value: `s3cr3t-${i}-Qx9` };
      case 1: return { name: `${prefix}SERVICE_${i}_URL`, value: `https://svc${i}.example.org:8443/v1/items?id=${i}` };
      case 2: return { name: `${prefix}UPSTREAM_${i}`, value: `$(UPSTREAM_BASE)/${i}` };
      case 3: return { name: `${prefix}API_TOKEN_${i}`, valueFrom: { secretKeyRef: { name: 'tokens', key: `t${i}` } } };
      default: return { name: `${prefix}CACHE_HOST_${i}`, value: `cache-${i}.shop.svc.cluster.local:6379` };
    }
  });
}

function script(words) {
  const out = [];
  for (let i = 0; out.length < words; i++) {
    switch (i % 6) {
      case 0: out.push('echo', 'starting', `worker-${i}`, ';'); break;
      case 1: out.push('curl', '-fsS', `https://h${i}.example.net/api/${i}`, '&&'); break;
      case 2: out.push(`NAME_${i}=value-${i}`, 'run', '--verbose'); break;
      case 3: out.push('mysql', '--password', `pw-${i}-Zk`, '-h', `db${i}.example.com`, ';'); break;
      case 4: out.push('export', `API_TOKEN_${i}=tok${i}x9`, '\n'); break;
      default: out.push('sleep', '1', '||', 'exit', '1', '\n');
    }
  }
  return out.slice(0, words).join(' ');
}

/** `[[[...]]]` at `depth` under spec.template.spec.x, spliced in as text. */
function deepUnknownField(depth) {
  const marker = '"__DEEP__"';
  const text = JSON.stringify(deployment({ containers: [app({})], x: '__DEEP__' }));
  return text.replace(marker, '['.repeat(depth) + ']'.repeat(depth));
}

const RUN_CHARS = ['.', ':', '-', '/', '@', '=', '%', '$', 'é', '<', '"', '`', '#', 'A'];
// Half-finished URLs and tokens: each starts a pattern (URL, userinfo, token format, reference,
// shell flag) that never completes, so a backtracking regex retries it from every position.
const PARTIALS = [
  ['http-a', 'http://a'],
  ['scheme-only', 'a://'],
  ['userinfo-no-at', 'http://u:p'],
  ['openai-prefix', 'sk-'],
  ['gitlab-prefix', 'glpat-'],
  ['ref-brace', '${'],
  ['ref-paren', '$('],
  // The structured-value scanners of issue 10: pairs without a value, keys without a value,
  // unterminated strings, elements without text, userinfo without a host, base64 that decodes
  // to printable text (read twice), armour without a body, token prefixes that never complete.
  ['pair-no-value', ' password='],
  ['json-key', '"password":'],
  ['json-open', '"password":"'],
  // A number that turns out to be code (issue 12's JSON_VALUE: digits, then the next character).
  ['json-number-code', '"password":9.'],
  ['xml-element', '<password>'],
  ['xml-key-value', 'key="password" value='],
  ['userinfo-no-host', ' a:b'],
  ['base64-printable', 'QUJD'],
  ['pem-header', '-----BEGIN PRIVATE KEY-----'],
  ['putty-header', 'PuTTY-User-Key-File-2: '],
  ['github-prefix', 'ghp_'],
  ['slack-digits', 'xoxb-12345678-'],
  ['jwt-tail', '.eyJhbGciOi.'],
  ['line-pair', 'password: \n'],
];

/** `sh -c` with one script of `unit` repeated to `bytes` (issue 20: a script the shell reads as many tiny commands). */
const shellScript = (unit, bytes, namespace, prefix = '') => withContainer({ command: ['sh', '-c', prefix + fill(unit, bytes)] }, namespace);
const SEMICOLONS_BYTES = 1.4 * 1024 * KiB;

/**
 * The flood (issue 20, "one tenant must not spend another's deadline"): the 1.4 MB semicolon
 * script sent by tenant-a from `connections` concurrent connections while another user's
 * one-container Pod in shop is reviewed `ordinary.count` times on its own connection.
 */
export const FLOOD = {
  name: 'flood',
  shape: 'sh-c-semicolons-1.4MB',
  connections: 6,
  tenant: { namespace: 'tenant-a', username: 'tenant-a' },
  ordinary: { namespace: 'shop', username: 'alice@example.com', count: 30 },
};

/** The flood's Deployment: the semicolon script, in the flooding tenant's namespace. */
export function floodText() {
  return shellScript('a;', SEMICOLONS_BYTES, FLOOD.tenant.namespace);
}

/** The ordinary review's object: a one-container Pod in shop, nothing to find. */
export function ordinaryPod(name = 'web') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: FLOOD.ordinary.namespace, labels: { app: name } },
    spec: { containers: [{ name: 'app', image: IMAGE, ports: [{ containerPort: 8080 }] }] },
  };
}

// Issue 21: "1.4 MB of `a: b\n` lines": YAML-like text the structured-value reader reads line by
// line, in each position a workload carries text.
const YAML_LINES = 'a: b\n';

// The API server refuses a ConfigMap whose data and binaryData exceed 1 MiB together
// (k8s.io/kubernetes validation: MaxSecretSize applies to ConfigMaps too); keys count.
export const MAX_CONFIGMAP_DATA_BYTES = 1024 * KiB;

/** A ConfigMap in shop with this data. */
export function configMap(data, name = 'worst', namespace = 'shop') {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** `count` keys `<prefix>N<suffix>` whose values fill the ConfigMap's data allowance (keys included, 1 KiB spare). */
function manyKeys(count, unit, prefix, suffix) {
  const keyBytes = Buffer.byteLength(`${prefix}${count}${suffix}`);
  const each = Math.floor((MAX_CONFIGMAP_DATA_BYTES - KiB) / count) - keyBytes;
  const value = unit.repeat(Math.max(1, Math.floor(each / Buffer.byteLength(unit))));
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}${suffix}`, value]));
}

/** One key whose value fills the allowance. */
const oneKey = (key, unit) => ({ [key]: unit.repeat(Math.floor((MAX_CONFIGMAP_DATA_BYTES - KiB - key.length) / Buffer.byteLength(unit))) });

/**
 * ConfigMaps of maximum size (judged once ConfigMaps are judged objects; until then the judge
 * admits them untouched, and these measure only the review's parse and round trip).
 */
function configMapShapes() {
  return [
    { name: 'configmap-one-key-yaml-lines-1MiB', kind: 'ConfigMap', what: `ConfigMap data: one key application.yaml of ${size(MAX_CONFIGMAP_DATA_BYTES)} of "a: b\\n"`, text: () => JSON.stringify(configMap(oneKey('application.yaml', YAML_LINES))) },
    { name: 'configmap-one-key-properties-1MiB', kind: 'ConfigMap', what: `ConfigMap data: one key application.properties of ${size(MAX_CONFIGMAP_DATA_BYTES)} of "spring.datasource.password=\${DB_PASSWORD}\\n" (references: nothing to find, every line read)`, text: () => JSON.stringify(configMap(oneKey('application.properties', 'spring.datasource.password=${DB_PASSWORD}\n'))) },
    { name: 'configmap-many-keys-10k-1MiB', kind: 'ConfigMap', what: `ConfigMap data: 10k keys app-N.yaml sharing ${size(MAX_CONFIGMAP_DATA_BYTES)} of "a: b\\n"`, text: () => JSON.stringify(configMap(manyKeys(10_000, YAML_LINES, 'app-', '.yaml'))) },
    { name: 'configmap-many-keys-password-names', kind: 'ConfigMap', what: `ConfigMap data: keys DB_PASSWORD_N (dotenv-style ConfigMap for envFrom) of "\${VAULT_REF}" sharing ${size(MAX_CONFIGMAP_DATA_BYTES)}`, text: () => JSON.stringify(configMap(manyKeys(10_000, '${VAULT_REF}', 'DB_PASSWORD_', ''))) },
  ];
}

const CONFIGMAP_FILL = MAX_CONFIGMAP_DATA_BYTES - 4 * KiB;
const cmFill = (unit) => unit.repeat(Math.floor(CONFIGMAP_FILL / Buffer.byteLength(unit)));

/** ConfigMaps of the largest size, one per grammar, aimed at each reader's loops. */
const CONFIGMAP_SHAPES = [
  ['properties-continuations', 'a.properties', 'k\\\n'],
  ['properties-passwords', 'a.properties', 'k.password=s3cr3tQx9\n'],
  ['yaml-dashes', 'a.yaml', '- '],
  ['yaml-flow', 'a.yaml', null],
  ['json-nesting', 'a.json', '{"a":'],
  ['toml-open-strings', 'a.toml', 'k = """\n'],
  ['ini-sections', 'my.cnf', '[s]\npassword = s3cr3tQx9\n'],
  ['nginx-headers', 'nginx.conf', 'proxy_set_header Authorization "Bearer s3cr3tQx9";\n'],
  ['conf-quotes', 'redis.conf', '"'],
  ['pgpass-colons', '.pgpass', ':'],
  ['text-provider-refs', 'run.sh', '${env:'],
  ['text-erb-opens', 'run.sh', '<%'],
];

/** Every shape: name, what it is, its kind when not a Deployment, and a function producing the object's JSON text. */
export function shapes() {
  return [
    ...[128 * KiB, FILL].map((n) => ({ name: `args-flag-${size(n)}`, what: `one args entry "--AAAA…" of ${size(n)}`, text: () => withContainer({ args: [`--${'A'.repeat(n)}`] }) })),
    ...[64 * KiB, FILL].map((n) => ({ name: `env-value-dots-${size(n)}`, what: `one env value of ${size(n)} of "."`, text: () => withContainer({ env: [{ name: 'DATA', value: '.'.repeat(n) }] }) })),
    ...[8 * KiB, 64 * KiB].map((n) => ({ name: `env-name-${size(n)}`, what: `one env name "AAAA…" of ${size(n)} with a literal value`, text: () => withContainer({ env: [{ name: 'A'.repeat(n), value: 'x' }] }) })),
    ...RUN_CHARS.flatMap((c) => [
      { name: `run-${c}-env`, what: `env value: ${size(FILL)} of "${c}"`, text: () => withContainer({ env: [{ name: 'DATA', value: fill(c) }] }) },
      { name: `run-${c}-args`, what: `args entry: ${size(FILL)} of "${c}"`, text: () => withContainer({ args: [fill(c)] }) },
    ]),
    ...PARTIALS.map(([name, unit]) => ({
      name: `partial-${name}`,
      what: `"${unit}" repeated: ${size(FILL / 2)} in an env value and ${size(FILL / 2)} in an args entry`,
      text: () => withContainer({ env: [{ name: 'DATA', value: fill(unit, FILL / 2) }], args: [fill(unit, FILL / 2)] }),
    })),
    ...[128 * KiB, FILL].map((n) => ({ name: `shell-flag-ccc-${size(n)}`, what: `sh then one args entry "-ccc…C" of ${size(n)}`, text: () => withContainer({ command: ['sh'], args: [`-${'c'.repeat(n)}C`] }) })),
    ...[1000, 10_000].map((n) => ({ name: `env-${n / 1000}k`, what: `${n} env vars: literal passwords, hosts, references, secretKeyRefs`, text: () => withContainer({ env: mixedEnv(n) }) })),
    {
      name: 'containers-100x300',
      what: '100 containers with 300 mixed env vars each',
      text: () => JSON.stringify(deployment({ containers: Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, image: IMAGE, env: mixedEnv(300) })) })),
    },
    ...[10_000, 100_000].map((n) => ({ name: `sh-c-${n / 1000}k-words`, what: `sh -c script of ${n / 1000}k words: commands, URLs, NAME=value, --password x`, text: () => withContainer({ command: ['sh', '-c', script(n)] }) })),
    // Issue 20: one script of 1.4 MB of "a;" (700k one-letter commands), and of 700 KB of "ä;"
    // (two bytes a letter in UTF-8, one character in the text the judge reads).
    { name: 'sh-c-semicolons-1.4MB', what: `sh -c script: ${size(SEMICOLONS_BYTES)} of "a;"`, text: () => shellScript('a;', SEMICOLONS_BYTES, 'shop') },
    { name: 'sh-c-umlaut-700KB', what: `sh -c script: ${size(700 * KiB)} of "ä;"`, text: () => shellScript('ä;', 700 * KiB, 'shop') },
    // The command-line view holds one command's words at a time: one command of 700k words is its worst case.
    { name: 'sh-c-one-command-1.4MB', what: `sh -c script: one command of ${size(SEMICOLONS_BYTES)} of "a "`, text: () => shellScript('a ', SEMICOLONS_BYTES, 'shop') },
    { name: 'sh-c-substitutions-1.4MB', what: `sh -c script: ${size(SEMICOLONS_BYTES)} of "$(" (nested substitutions, never closed)`, text: () => shellScript('$(', SEMICOLONS_BYTES, 'shop') },
    { name: 'sh-c-variables-1.4MB', what: `sh -c script: "H=x.com;" then ${size(SEMICOLONS_BYTES)} of "$H$H$H " (the script's own variables)`, text: () => shellScript('$H$H$H ', SEMICOLONS_BYTES, 'shop', 'H=partner-example.com;') },
    { name: 'env-pairs-1.4MB', what: `env value: ${size(SEMICOLONS_BYTES)} of "k=https://x.com," (config pairs and URLs)`, text: () => withContainer({ env: [{ name: 'APP_PROPERTIES', value: fill('k=https://x.partner-example.com,', SEMICOLONS_BYTES) }] }) },
    { name: 'env-host-list-1.4MB', what: `env value under DB_HOST: ${size(SEMICOLONS_BYTES)} of "h.partner-example.com,"`, text: () => withContainer({ env: [{ name: 'DB_HOST', value: fill('h.partner-example.com,', SEMICOLONS_BYTES) }] }) },
    ...[5000, 50_000].map((n) => ({ name: `urls-${n / 1000}k`, what: `${n} args entries https://hN.example.com/`, text: () => withContainer({ args: Array.from({ length: n }, (_, i) => `https://h${i}.example.com/`) }) })),
    {
      name: 'env-value-deep-json',
      what: 'env value: JSON text {"a":{"a":…}} nested 250k deep',
      text: () => withContainer({ env: [{ name: 'CONFIG_JSON', value: `${'{"a":'.repeat(250_000)}1${'}'.repeat(250_000)}` }] }),
    },
    { name: 'unknown-field-deep-100k', what: 'spec.template.spec.x: [[[…]]] nested 100k deep', text: () => deepUnknownField(100_000) },
    // The kubelet's $(VAR) expansion, redone by the judge: a doubling chain that would reach
    // gigabytes (cut at the allowance), fan-out just under the allowance, and probe scripts.
    { name: 'expansion-doubling', what: '40 env vars, each $(previous)$(previous) of a 1 KiB start', text: () => withContainer({ env: [{ name: 'V0', value: 'x'.repeat(KiB) }, ...Array.from({ length: 40 }, (_, i) => ({ name: `V${i + 1}`, value: `$(V${i})$(V${i})` }))] }) },
    { name: 'expansion-fanout', what: '1000 env vars each $(BIG), BIG 1000 characters: 1 MB expanded', text: () => withContainer({ env: [{ name: 'BIG', value: 'ab1.'.repeat(250) }, ...Array.from({ length: 1000 }, (_, i) => ({ name: `USE_${i}`, value: '$(BIG)' }))] }) },
    { name: 'expansion-args-refs', what: `args: one entry of ${size(FILL)} of "$(A)" with A=""`, text: () => withContainer({ env: [{ name: 'A', value: '' }], args: [fill('$(A)')] }) },
    { name: 'template-braces', what: `env value: ${size(FILL)} of "{{x}}${'$'}{Y}"`, text: () => withContainer({ env: [{ name: 'DB_PASSWORD', value: fill('{{x}}${Y}') }] }) },
    ...[['percent', '%41'], ['idna', 'é.']].map(([name, unit]) => ({ name: `url-host-${name}`, what: `one URL whose host is ${size(FILL)} of "${unit}"`, text: () => withContainer({ env: [{ name: 'API_URL', value: `https://${fill(unit)}/x` }] }) })),
    // Issue 21: 1.4 MB of "a: b\n" lines in an env value (under a config-like name), a sh -c script and an args entry.
    { name: 'env-yaml-lines-1.4MB', what: `env value under APP_CONFIG: ${size(SEMICOLONS_BYTES)} of "a: b\\n"`, text: () => withContainer({ env: [{ name: 'APP_CONFIG', value: fill(YAML_LINES, SEMICOLONS_BYTES) }] }) },
    { name: 'sh-c-yaml-lines-1.4MB', what: `sh -c script: ${size(SEMICOLONS_BYTES)} of "a: b\\n"`, text: () => shellScript(YAML_LINES, SEMICOLONS_BYTES, 'shop') },
    { name: 'args-yaml-lines-1.4MB', what: `args entry: ${size(SEMICOLONS_BYTES)} of "a: b\\n"`, text: () => withContainer({ args: [fill(YAML_LINES, SEMICOLONS_BYTES)] }) },
    // Issue 21: the command-line view's here-documents, credential files written by scripts,
    // and the SQL grammar, each at the script's largest size.
    { name: 'sh-c-heredocs-unterminated', what: `sh -c script: ${size(FILL)} of "cat <<EOF\\n" (none closed)`, text: () => shellScript('cat <<EOF\n', FILL, 'shop') },
    { name: 'sh-c-netrc-heredoc', what: `sh -c script: one closed here-document to ~/.netrc of ${size(FILL)} of "machine h login u password p4ss\\n"`, text: () => withContainer({ command: ['sh', '-c', `cat > ~/.netrc <<'EOF'\n${fill('machine h login u password p4ssW0rd\n', FILL - KiB)}EOF\n`] }) },
    { name: 'sh-c-sql-quotes', what: `psql -c with ${size(FILL)} of "CREATE USER a PASSWORD '" (quotes never closed)`, text: () => shellScript("CREATE USER a PASSWORD '", FILL, 'shop', 'psql -c "') },
    { name: 'sh-c-sql-create-user', what: `psql -c with ${size(FILL)} of "create user "`, text: () => shellScript('create user ', FILL, 'shop', 'psql -c "') },
    { name: 'sh-c-mongo-auth', what: `mongosh --eval with ${size(FILL)} of "db.auth("`, text: () => shellScript('db.auth(', FILL, 'shop', "mongosh --eval '") },
    ...configMapShapes(),
    { name: 'probe-script-100k-words', what: 'livenessProbe exec sh -c script of 100k words', text: () => withContainer({ livenessProbe: { exec: { command: ['sh', '-c', script(100_000)] } } }) },
    ...CONFIGMAP_SHAPES.map(([name, key, unit]) => ({
      name: `configmap-${name}`,
      kind: 'ConfigMap',
      what: unit === null ? `ConfigMap ${key}: one flow map of ${size(CONFIGMAP_FILL)}` : `ConfigMap ${key}: ${size(CONFIGMAP_FILL)} of ${JSON.stringify(unit)}`,
      text: () => JSON.stringify(configMap({ [key]: unit === null ? `k: {${cmFill('a: b, ')}}` : cmFill(unit) })),
    })),
    {
      name: 'configmap-25k-password-keys',
      kind: 'ConfigMap',
      what: 'ConfigMap of 25k keys K<i>_PASSWORD, each a distinct literal, filling the data allowance',
      text: () => JSON.stringify(configMap(Object.fromEntries(Array.from({ length: 25_000 }, (_, i) => [`K${i}_PASSWORD`, `s3cr3tQx9-${String(i).padStart(6, '0')}-Zq8w7e6r5`])))),
    },
  ];
}
