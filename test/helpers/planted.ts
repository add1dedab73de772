// Credentials shaped like a host, an address and a URL, planted in every place the project
// knows a credential can sit: one object per place and shape, for the no-echo tests (unit:
// the judge and every report writer in-process; integration: the webhook and the CLI).
// Detection of each place is the rules' business; these tests assert only that no output
// carries the planted value, and, for the places `reported` marks, that a violation names the
// field.
//
// Values are assembled at run time: the test source holds nothing a scanner would take for a
// credential.

type Json = Record<string, unknown>;

export type Shape = 'host' | 'ip' | 'url';
export const SHAPES: readonly Shape[] = ['host', 'ip', 'url'];

/** A planted value, distinct per place and shape, and routable (an IP outside documentation ranges). */
export function plantedValue(shape: Shape, n: number): string {
  switch (shape) {
    case 'host': return ['quiet', 'meadow', String(n), 'lantern', '.io'].join('');
    case 'ip': return ['185', '199', String(100 + n), String(150 + (n % 50))].join('.');
    case 'url': return ['https://', 'harbor', String(n), 'beacon', '.dev', '/p'].join('');
  }
}

export interface Place {
  name: string;
  /** A Pod (and, for a ConfigMap, the ConfigMap next to it) holding `secret`. */
  objects(secret: string): Json[];
  /** The field a violation must name, where the place is detected today (a prefix of the path). */
  reported?: string;
  /** The shapes detected today, when not all (detection is the rules' work, not these tests'). */
  reportedShapes?: readonly Shape[];
  /** Shapes this place still echoes, and why: listed so the gap stays visible (a pending test), never silently dropped. */
  knownEcho?: { shapes: readonly Shape[]; why: string };
}

const C = 'spec.containers[0]';

function pod(container: Json, extra: { spec?: Json; annotations?: Record<string, string> } = {}): Json {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'planted', namespace: 'shop', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1', ...container }], ...extra.spec },
  };
}

const sh = (script: string): Json => ({ command: ['sh', '-c', script] });

export const PLACES: readonly Place[] = [
  { name: 'env DB_PASSWORD', objects: (s) => [pod({ env: [{ name: 'DB_PASSWORD', value: s }] })], reported: `${C}.env[0]` },
  { name: 'env API_TOKEN', objects: (s) => [pod({ env: [{ name: 'API_TOKEN', value: s }] })], reported: `${C}.env[0]` },
  { name: 'env OAUTH_CLIENT_SECRET', objects: (s) => [pod({ env: [{ name: 'OAUTH_CLIENT_SECRET', value: s }] })], reported: `${C}.env[0]` },
  {
    name: 'a host variable flowing into a password through $(VAR)',
    objects: (s) => [pod({ env: [{ name: 'CACHE_HOST', value: s }, { name: 'REDIS_PASSWORD', value: '$(CACHE_HOST)' }] })],
    reported: `${C}.env[0]`,
  },
  { name: 'a flow into a JSON password key', objects: (s) => [pod({ env: [{ name: 'CACHE_URL', value: s }, { name: 'CONFIG', value: '{"password":"$(CACHE_URL)"}' }] })] },
  { name: 'flag --password', objects: (s) => [pod({ args: ['--password', s] })], reported: `${C}.args[1]` },
  { name: 'flag --password=', objects: (s) => [pod({ args: [`--password=${s}`] })], reported: `${C}.args[0]` },
  { name: 'mysql -p (glued)', objects: (s) => [pod({ command: ['mysql', '-h', 'db', '-u', 'root', `-p${s}`] })], reported: `${C}.command[5]`, reportedShapes: ['host', 'ip'] },
  { name: 'redis-cli -a', objects: (s) => [pod({ command: ['redis-cli', '-h', 'cache', '-a', s, 'ping'] })] },
  { name: 'sshpass -p', objects: (s) => [pod({ command: ['sshpass', '-p', s, 'ssh', 'backup'] })] },
  { name: 'keytool -storepass', objects: (s) => [pod({ command: ['keytool', '-importkeystore', '-storepass', s, '-keystore', 'app.jks'] })] },
  { name: 'openssl pass:', objects: (s) => [pod({ command: ['openssl', 'pkcs12', '-export', '-passout', `pass:${s}`, '-out', 'app.p12'] })] },
  { name: '.netrc written by echo', objects: (s) => [pod(sh(`echo "machine api.github.com login bot password ${s}" > ~/.netrc`))] },
  { name: '.pgpass written by echo', objects: (s) => [pod(sh(`echo "db:5432:app:bot:${s}" > ~/.pgpass`))] },
  { name: 'mount -o password=', objects: (s) => [pod({ command: ['mount', '-t', 'cifs', '-o', `username=bot,password=${s}`, '//files/share', '/mnt'] })] },
  { name: 'SQL WITH PASSWORD', objects: (s) => [pod({ command: ['psql', '-h', 'db', '-c', `CREATE USER bot WITH PASSWORD '${s}'`] })] },
  { name: 'curl -H X-Auth-Token', objects: (s) => [pod({ command: ['curl', '-H', `X-Auth-Token: ${s}`, 'https://api.github.com/'] })] },
  {
    name: 'probe exec redis-cli -a',
    objects: (s) => [pod({ livenessProbe: { exec: { command: ['redis-cli', '-a', s, 'ping'] } } })],
    reported: `${C}.livenessProbe.exec.command[2]`,
  },
  {
    name: 'probe Authorization header',
    objects: (s) => [pod({ readinessProbe: { httpGet: { path: '/ready', port: 8080, httpHeaders: [{ name: 'Authorization', value: `Bearer ${s}` }] } } })],
    reported: `${C}.readinessProbe.httpGet.httpHeaders[0]`,
    reportedShapes: ['host', 'ip'],
  },
  {
    name: 'probe X-Api-Key header',
    objects: (s) => [pod({ readinessProbe: { httpGet: { path: '/ready', port: 8080, httpHeaders: [{ name: 'X-Api-Key', value: s }] } } })],
  },
  { name: 'probe path ?access_token=', objects: (s) => [pod({ readinessProbe: { httpGet: { path: `/ready?access_token=${s}`, port: 8080 } } })] },
  // A URL-shaped password in userinfo is written percent-encoded (its `/` would end the authority).
  { name: 'URL userinfo', objects: (s) => [pod({ env: [{ name: 'UPSTREAM', value: `https://bot:${encodeURIComponent(s)}@api.github.com/` }] })] },
  { name: 'query ?password=', objects: (s) => [pod({ env: [{ name: 'UPSTREAM', value: `https://api.github.com/x?password=${s}` }] })] },
  { name: 'query ?access_token=', objects: (s) => [pod({ env: [{ name: 'CALLBACK', value: `https://api.github.com/cb?access_token=${s}` }] })] },
  { name: 'key=value pair', objects: (s) => [pod({ env: [{ name: 'OPTIONS', value: `user=bot password=${s} timeout=5` }] })] },
  { name: 'JSON key in a value', objects: (s) => [pod({ env: [{ name: 'SETTINGS', value: JSON.stringify({ user: 'bot', client_secret: s }) }] })] },
  { name: 'YAML key in a value', objects: (s) => [pod({ env: [{ name: 'SETTINGS', value: `user: bot\npassword: ${s}\n` }] })] },
  {
    name: 'downward API annotation handed to a sensitive variable',
    objects: (s) => [pod({ env: [{ name: 'DB_PASSWORD', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['db-pass']" } } }] }, { annotations: { 'db-pass': s } })],
  },
  {
    name: 'downward API volume file',
    objects: (s) => [pod({}, { annotations: { 'db-pass': s }, spec: { volumes: [{ name: 'pw', downwardAPI: { items: [{ path: 'password', fieldRef: { fieldPath: "metadata.annotations['db-pass']" } }] } }] } })],
  },
  {
    name: 'CSI volumeAttributes password',
    objects: (s) => [pod({}, { spec: { volumes: [{ name: 'v', csi: { driver: 'secrets-store.csi.k8s.io', volumeAttributes: { password: s } } }] } })],
  },
  {
    name: 'flexVolume options password',
    objects: (s) => [pod({}, { spec: { volumes: [{ name: 'v', flexVolume: { driver: 'example/cifs', options: { password: s } } }] } })],
  },
  {
    name: "a ConfigMap's data",
    objects: (s) => [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: { DB_PASSWORD: s, 'app.properties': `db.password=${s}\n` } },
      pod({ envFrom: [{ configMapRef: { name: 'settings' } }] }),
    ],
  },
];
