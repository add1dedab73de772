// Generators and run settings shared by the property-based tests (fast-check).
//
// Objects are generated as JSON *text* and parsed with JSON.parse, the way the webhook gets
// them: `__proto__`, `constructor` and `prototype` then become real own properties, duplicated
// keys reach the parser, and numbers such as 1e400 overflow exactly as they would on the wire.
//
// CI runs every property with a fixed seed and a bounded number of runs, so a red build is
// reproducible. A long campaign sets EXTGUARD_FUZZ_RUNS and EXTGUARD_FUZZ_SEED (see README,
// "Fuzzing"); a failure prints the seed and the counterexample path to replay it.

import fc from 'fast-check';

export const DEFAULT_SEED = 0x5eed8;

export interface FuzzParams {
  seed: number;
  numRuns: number;
  path?: string;
  /** Print every counterexample tried while shrinking, not just the last one. */
  verbose?: number;
}

/** Run settings for one property: `runs` in CI, or whatever the environment asks for. */
export function fuzzParams(runs: number): FuzzParams {
  const env = process.env;
  const numRuns = env['EXTGUARD_FUZZ_RUNS'] ? positiveInt(env['EXTGUARD_FUZZ_RUNS'], 'EXTGUARD_FUZZ_RUNS') : runs;
  const rawSeed = env['EXTGUARD_FUZZ_SEED'];
  const seed = rawSeed === undefined || rawSeed === '' ? DEFAULT_SEED
    : rawSeed === 'random' ? campaignSeed()
    : integer(rawSeed, 'EXTGUARD_FUZZ_SEED');
  return { seed, numRuns, ...(env['EXTGUARD_FUZZ_PATH'] ? { path: env['EXTGUARD_FUZZ_PATH'] } : {}), ...(env['EXTGUARD_FUZZ_VERBOSE'] ? { verbose: 2 } : {}) };
}

let randomSeed: number | undefined;
/** One random seed per process, printed once so a green campaign can be replayed too. */
function campaignSeed(): number {
  if (randomSeed === undefined) {
    randomSeed = (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
    process.stderr.write(`extguard fuzz: EXTGUARD_FUZZ_SEED=${randomSeed}\n`);
  }
  return randomSeed;
}

function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return n;
}

function integer(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer or "random", got "${v}"`);
  return n;
}

// ---------------------------------------------------------------- strings

const SHELL_TOKENS = [';', '&&', '||', '|', '&', '\n', '"', "'", '\\', '`', '$(VAR)', '${VAR}', '$VAR', '$(', '${', '{{ .Values.x }}',
  'sh', '-c', '-ec', 'bash', 'psql', 'mysql', '-p', '-u', 'curl', 'wget', '-h', '--host', '--host=', '--password', '--password-file',
  '--token-ttl', 'export', 'env', 'PGPASSWORD=', 'DB_HOST=', '-Dspring.datasource.url=', 'Password=', 'Server=tcp:', 'Authorization: Bearer',
  'X-Api-Key:', 'user@example.com', 'entrypoint.sh', 'com.example.Main', 'app.kubernetes.io/name', 'ghcr.io/org/app:1.0', '1.2.3', '0.5',
  'localhost', 'redis.shop', 'x.ns.svc', 'db.svc.cluster.local', '127.0.0.1', '[::1]:8080', 'http://', '://', '@', ':', ':5432', '=', ',', '.',
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Strings that stress the rules: shell syntax, references, hosts, IPs, URLs, odd Unicode. */
export const shellish: fc.Arbitrary<string> = fc.array(fc.oneof(
  { arbitrary: fc.constantFrom(...SHELL_TOKENS), weight: 6 },
  { arbitrary: fc.domain(), weight: 2 },
  { arbitrary: fc.ipV4(), weight: 1 },
  { arbitrary: fc.ipV6(), weight: 1 },
  { arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }), weight: 2 },
  { arbitrary: fc.tuple(fc.domain(), fc.integer({ min: 0, max: 70000 })).map(([h, p]) => `${h}:${p}`), weight: 1 },
  { arbitrary: fc.string({ maxLength: 8 }), weight: 2 },
  { arbitrary: loneSurrogate, weight: 1 },
), { maxLength: 14 }).chain((words) => fc.constantFrom(' ', '', ',', ';', '\n').map((sep) => words.join(sep)));

/** Any string the API server could hand over, and some it could not (lone surrogates). */
export const weirdString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: shellish, weight: 6 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.array(fc.oneof(loneSurrogate, fc.string({ maxLength: 3 })), { maxLength: 6 }).map((xs) => xs.join('')), weight: 1 },
  // Long values: past the rules' 64 KiB scan window, and repetitive so a superlinear regex shows.
  { arbitrary: fc.tuple(fc.oneof(fc.constantFrom('a', 'a.', ':', 'a:', '-', '$(', 'x=', '@', ' '), fc.string({ minLength: 1, maxLength: 6 })), fc.integer({ min: 200, max: 70_000 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length))), weight: 1 },
);

// ---------------------------------------------------------------- JSON text

/** A JSON text is a string; these helpers assemble them from pieces. */
export type JsonText = string;

export const str = (a: fc.Arbitrary<string>): fc.Arbitrary<JsonText> => a.map((s) => JSON.stringify(s));
const objectOf = (entries: readonly (readonly [string, JsonText])[]): JsonText => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
const listOf = (items: readonly JsonText[]): JsonText => `[${items.join(',')}]`;

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', 'length', '0', ''];
const KUBE_KEYS = ['apiVersion', 'kind', 'metadata', 'name', 'namespace', 'annotations', 'spec', 'template', 'jobTemplate', 'containers', 'initContainers', 'env', 'value', 'valueFrom', 'command', 'args'];
const key: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...DANGEROUS_KEYS, ...KUBE_KEYS), fc.string({ maxLength: 10 }));

/** Payloads that would pollute Object.prototype if anything merged them naively. */
export const POLLUTERS: readonly JsonText[] = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"__proto__":{"__proto__":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}',
  '[{"__proto__":{"polluted":"yes","length":1e400}}]',
];

const numberText: fc.Arbitrary<JsonText> = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('1e400', '-1e400', '1E-400', '-0', '9007199254740993', '123456789012345678901234567890123456789', `1${'0'.repeat(400)}`, '0.0000000000000000000001', '1.7976931348623157e309'),
);

/** Nesting deep enough to break a naively recursive walker. */
const deep: fc.Arbitrary<JsonText> = fc.tuple(fc.integer({ min: 50, max: 3000 }), fc.boolean()).map(([n, arr]) =>
  arr ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + 'null' + '}'.repeat(n));

const scalar: fc.Arbitrary<JsonText> = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '{}', '[]', '""'),
  numberText,
  str(weirdString),
);

/** Any JSON value, with dangerous keys, duplicated keys, odd numbers and deep nesting. */
export const junk: fc.Arbitrary<JsonText> = fc.letrec<{ value: JsonText; list: JsonText; object: JsonText }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    { arbitrary: scalar, weight: 12 }, { arbitrary: tie('list'), weight: 2 }, { arbitrary: tie('object'), weight: 4 },
    { arbitrary: fc.constantFrom(...POLLUTERS), weight: 2 }, { arbitrary: deep, weight: 1 }),
  list: fc.array(tie('value'), { maxLength: 4 }).map(listOf),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map(objectOf),
})).value;

/** Mostly the well-formed value, sometimes anything at all. */
// About half of the generated workloads come out readable, so the rules get real work too.
const maybe = (good: fc.Arbitrary<JsonText>): fc.Arbitrary<JsonText> => fc.oneof({ arbitrary: good, weight: 40 }, { arbitrary: junk, weight: 1 });

type Field = readonly [key: string, value: fc.Arbitrary<JsonText>, required?: 'required'];

/**
 * An object with the given fields (each may be missing or of the wrong type, unless
 * required), plus a few random keys (__proto__ & co.) with `extra` values, and sometimes a
 * duplicated key whose junk value comes last and wins.
 */
export function objectText(fields: readonly Field[], extra: fc.Arbitrary<JsonText> = junk): fc.Arbitrary<JsonText> {
  const optional = fields.some(([, , r]) => r !== 'required');
  return fc.tuple(
    fc.tuple(...fields.map(([k, a, required]) => required ? a.map((v) => [k, v] as const)
      : fc.option(maybe(a), { freq: 20, nil: undefined }).map((v) => (v === undefined ? undefined : [k, v] as const)))),
    fc.array(fc.tuple(key, extra), { maxLength: 2 }),
    optional ? fc.oneof({ arbitrary: fc.constant(undefined), weight: 40 }, { arbitrary: fc.tuple(fc.constantFrom(...fields.filter(([, , r]) => r !== 'required').map(([k]) => k)), junk), weight: 1 }) : fc.constant(undefined),
  ).map(([present, extras, duplicate]) => {
    const entries: (readonly [string, JsonText])[] = present.filter((e): e is readonly [string, JsonText] => e !== undefined);
    // Random keys first: when they repeat a field, the real field (parsed last) wins.
    return objectOf([...extras, ...entries, ...(duplicate ? [duplicate] : [])]);
  });
}

// ---------------------------------------------------------------- workloads

export const SENSITIVE_ENV_NAMES = ['DB_PASSWORD', 'API_TOKEN', 'dbPassword', 'client-secret', 'PGPASSWORD', 'AWS_SECRET_ACCESS_KEY', 'STRIPE_API_KEY', 'db.password', 'WEBHOOKSECRET', 'SECRET', 'MYSQL_ROOT_PASSWORD'];
const ENV_NAMES = [...SENSITIVE_ENV_NAMES, 'LOG_LEVEL', 'DATABASE_URL', 'TOKEN_TTL', 'PASSWORD_FILE', 'SECRET_NAME', 'API_KEY_HEADER', 'DB_HOST', 'JAVA_OPTS', 'BYPASS_CACHE', ''];

const envVar = objectText([
  ['name', fc.oneof(str(fc.constantFrom(...ENV_NAMES)), str(fc.string({ maxLength: 12 }))), 'required'],
  ['value', str(weirdString)],
]).chain((text) => fc.constantFrom(text, text, text,
  // valueFrom: a reference, so its value is never scanned.
  text.replace(/^\{/, '{"valueFrom":{"secretKeyRef":{"name":"s","key":"k"}},').replace(/,}$/, '}')));

const COMMANDS: readonly (readonly string[])[] = [['sh', '-c'], ['/bin/bash', '-ec'], ['psql'], ['mysql'], ['curl'], ['java'], ['/app/server'], []];
const command = fc.tuple(fc.constantFrom(...COMMANDS), fc.array(weirdString, { maxLength: 3 })).map(([c, more]) => listOf([...c, ...more].map((s) => JSON.stringify(s))));
const args = fc.array(str(weirdString), { maxLength: 5 }).map(listOf);

/** A container; `extraEnv`/`extraArgs`/`command` let a caller plant text in a known position. */
export function containerText(plant?: { env?: JsonText[]; command?: JsonText; args?: JsonText[] }): fc.Arbitrary<JsonText> {
  return fc.tuple(
    objectText([
      ['name', str(fc.oneof(fc.constantFrom('app', 'sidecar', 'migrate', ''), fc.string({ maxLength: 8 })))],
      ['image', str(fc.constantFrom('registry.example.com/team/app:1.0', 'postgres:16', ''))],
      ['env', fc.array(envVar, { maxLength: 4 }).map(listOf)],
      ['command', command],
      ['args', args],
    ]),
    fc.nat(),
  ).map(([text, at]) => {
    if (!plant) return text;
    // Planted fields are well formed and come last, so they win over a duplicated key.
    const parsed: Record<string, unknown> = JSON.parse(text);
    const list = (field: string): JsonText[] => {
      const v = Object.prototype.hasOwnProperty.call(parsed, field) ? parsed[field] : undefined;
      return Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null) ? v.map((x) => JSON.stringify(x)) : [];
    };
    const fields: [string, JsonText][] = [['name', JSON.stringify('app')]];
    if (plant.env) {
      const env = list('env');
      const i = at % (env.length + 1);
      fields.push(['env', listOf([...env.slice(0, i), ...plant.env, ...env.slice(i)])]);
    }
    if (plant.command) fields.push(['command', plant.command]);
    if (plant.args) fields.push(['args', listOf(plant.args)]);
    // Appended by slicing: a replacement string would expand the `$`-patterns generated values contain.
    return text.slice(0, -1) + (text === '{}' ? '' : ',') + fields.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',') + '}';
  });
}

/** Where each covered kind keeps its pod spec, and a few near misses. */
export const KINDS: readonly { apiVersion: string; kind: string; wrap: readonly string[] }[] = [
  { apiVersion: 'v1', kind: 'Pod', wrap: [] },
  { apiVersion: 'apps/v1', kind: 'Deployment', wrap: ['template'] },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', wrap: ['template'] },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', wrap: ['template'] },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', wrap: ['template'] },
  { apiVersion: 'batch/v1', kind: 'Job', wrap: ['template'] },
  { apiVersion: 'batch/v1', kind: 'CronJob', wrap: ['jobTemplate', 'template'] },
  { apiVersion: 'v1', kind: 'ReplicationController', wrap: ['template'] },
  // A PodTemplate has no spec: its `template` {metadata, spec} sits at the top (below).
  { apiVersion: 'v1', kind: 'PodTemplate', wrap: [] },
];
const NEAR_MISSES = [['v1', 'Deployment'], ['apps/v1beta2', 'Deployment'], ['extensions/v1beta1', 'Deployment'], ['batch/v1', 'Pod'], ['v1', 'pod'], ['v1', 'Service']];

export const NAMESPACES = ['shop', 'staging', 'legacy', 'offns', 'badlabel', 'default', 'kube-system', 'unknown'];

const annotations = objectText([
  ['extguard.io/inject', str(fc.constantFrom('external-db', 'payments-api', 'external-db, payments-api', 'shared-db', 'missing', 'external-db,,', ''))],
  ['extguard.io/inject-containers', str(fc.constantFrom('app', 'migrate', 'nope', 'app,sidecar', ''))],
], str(weirdString));

const metadata = objectText([
  ['name', str(fc.oneof(fc.constantFrom('web', 'p'), fc.string({ maxLength: 10 })))],
  ['namespace', str(fc.constantFrom(...NAMESPACES))],
  ['annotations', annotations],
  ['labels', fc.constant('{"app":"web"}')],
]).chain((m) => fc.constantFrom(m, m, m, m, m, m, m, m, m, m.replace(/^\{/, '{"deletionTimestamp":"2024-01-01T00:00:00Z",').replace(/,}$/, '}')));

/**
 * A manifest of one of the covered kinds (COVERED_KINDS, sometimes a near miss), any field possibly
 * missing, of the wrong type, null or polluted. `planted` is put among the containers.
 */
export function workloadText(planted?: fc.Arbitrary<JsonText>): fc.Arbitrary<JsonText> {
  // With a planted container, the way down to it is always well formed: the property is
  // about what the judge says of the plant, and needs the judge to see it.
  const sure = planted ? 'required' as const : undefined;
  const containers = fc.tuple(fc.array(containerText(), { maxLength: 2 }), planted ? planted.map((p) => [p]) : fc.constant([]), fc.nat())
    .map(([others, mine, at]) => { const i = at % (others.length + 1); return listOf([...others.slice(0, i), ...mine, ...others.slice(i)]); });
  const podSpec = objectText([
    ['containers', containers, sure],
    ['initContainers', fc.array(containerText(), { maxLength: 1 }).map(listOf)],
    ['restartPolicy', fc.constant('"Always"')],
  ]);
  const kind = fc.oneof(
    { arbitrary: fc.constantFrom(...KINDS), weight: 10 },
    { arbitrary: fc.constantFrom(...NEAR_MISSES).map(([apiVersion, kind]) => ({ apiVersion: apiVersion!, kind: kind!, wrap: ['template'] })), weight: planted ? 0 : 1 },
  );
  return kind.chain(({ apiVersion, kind, wrap }) => {
    // Inside-out: spec, then template {metadata, spec}, then each wrapper, then the object.
    let spec: fc.Arbitrary<JsonText> = podSpec;
    for (const level of [...wrap].reverse()) {
      const inner = spec;
      const node = level === 'template' ? objectText([['metadata', metadata], ['spec', inner, sure]]) : objectText([['spec', inner, sure]]);
      spec = objectText([['selector', fc.constant('{}')], [level, node, sure]]);
    }
    return objectText([
      ['apiVersion', maybe(fc.constant(JSON.stringify(apiVersion))), 'required'],
      ['kind', maybe(fc.constant(JSON.stringify(kind))), 'required'],
      ['metadata', metadata],
      kind === 'PodTemplate' ? ['template', objectText([['metadata', metadata], ['spec', spec, sure]]), sure] : ['spec', spec, sure],
    ]);
  });
}

// ---------------------------------------------------------------- credentials

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A high-entropy credential: 24 to 40 letters and digits. No dot, colon or slash, so no rule
 * can mistake it for a host; a test that finds it in an output found an echo.
 */
export const credential: fc.Arbitrary<string> = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 24, maxLength: 40 })
  .filter((s) => /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s));

/** Stands for the credential in generated text; replaced once the text is complete. */
export const MARK = '\u00a7CRED\u00a7';

const envPlant = (name: string, value: string): JsonText => JSON.stringify({ name, value });

/** A container holding MARK in a credential position (not host-shaped). */
export const plantedContainer: fc.Arbitrary<JsonText> = fc.oneof(
  fc.constantFrom(...SENSITIVE_ENV_NAMES).chain((n) => containerText({ env: [envPlant(n, MARK)] })),
  fc.constantFrom(
    `postgres://u:${MARK}@db.example.com/x`, `mysql://root:${MARK}@10.0.0.5:3306/app`, `https://svc:${MARK}@api.partner-example.com/v1`,
    `Server=tcp:db.example.com,1433;User Id=sa;Password=${MARK};`, `host=db port=5432 password=${MARK}`, `Authorization: Bearer ${MARK}`,
  ).chain((v) => fc.constantFrom('DATABASE_URL', 'CONN', 'HEADERS').chain((n) => containerText({ env: [envPlant(n, v)] }))),
  fc.constantFrom([`--password=${MARK}`], ['--api-key', MARK], [`--token=${MARK}`], ['--db', `postgres://u:${MARK}@db.example.com/x`], ['-H', `X-Api-Key: ${MARK}`])
    .chain((a) => containerText({ command: '["/app/server"]', args: a.map((x) => JSON.stringify(x)) })),
  fc.tuple(
    fc.constantFrom(`PGPASSWORD=${MARK} psql -h db.example.com`, `export API_TOKEN=${MARK} && ./run`, `mysql -uroot -p${MARK} -h db`,
      `curl -u admin:${MARK} https://api.example.org/v1`, `curl -H "Authorization: Bearer ${MARK}" https://api.example.org`),
    shellish,
  ).chain(([script, noise]) => containerText({ command: '["sh","-c"]', args: [JSON.stringify(`${noise}\n${script}`)] })),
);

/** Host-, IP- and URL-shaped credentials (real passwords can look like this), with the part that gives them away. */
export const hostShapedCredentials = {
  host: fc.tuple(fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 8, maxLength: 16 }), fc.constantFrom('io', 'com', 'net', 'de', 'co.uk', 'dev'))
    .map(([w, tld]) => `${w}.${tld}`).filter((h) => /^[a-z]/.test(h)).map((h) => ({ value: h, tell: h })),
  ip: fc.tuple(fc.integer({ min: 1, max: 223 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
    .filter(([a, b]) => a !== 10 && a !== 127 && !(a === 172 && b >= 16 && b < 32) && !(a === 192 && b === 168) && !(a === 100 && b >= 64 && b < 128) && !(a === 169 && b === 254))
    .map((p) => p.join('.')).map((ip) => ({ value: ip, tell: ip })),
  url: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 10, maxLength: 16 }).map((w) => ({ value: `https://${w}.example.com`, tell: w })),
};

/** Every 12-character window of the credential, lower-cased: a partial echo is an echo too. */
export function echoes(output: string, secret: string): boolean {
  const out = output.toLowerCase();
  const s = secret.toLowerCase();
  const w = Math.min(12, s.length);
  for (let i = 0; i + w <= s.length; i++) if (out.includes(s.slice(i, i + w))) return true;
  return false;
}

const PROTOTYPES: readonly object[] = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const ownNames = PROTOTYPES.map((p) => new Set(Object.getOwnPropertyNames(p)));

/**
 * Properties added to the built-in prototypes since this module loaded, removed again so the
 * next run starts clean (and fast-check shrinks to the input that polluted, not a later one).
 */
export function prototypePollution(): string[] {
  const added: string[] = [];
  PROTOTYPES.forEach((p, i) => {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (ownNames[i]!.has(name)) continue;
      added.push(`${['Object', 'Array', 'Function', 'String'][i]}.prototype.${name}`);
      delete (p as Record<string, unknown>)[name];
    }
  });
  return added;
}
