// What a name says about the value it names, for hosts: a variable (`DB_HOST`), a flag
// (`--bootstrap-server`), a key in a config format (`bootstrap.servers`, `"address"`), a
// downward-API file. The name's words decide, never the value's shape. These tables are the
// data the host positions are built from (docs/detection.md lists them).

import { nameWords } from './scan.ts';

/**
 * - `reach`: the value is a host (or a list of hosts, URLs, host:port) the program connects to;
 * - `listed`: the value lists hosts the program serves, accepts or excludes, never reaches
 *   (`NO_PROXY`, `ALLOWED_HOSTS`, `CORS_ORIGINS`, `PUBLIC_URL`): no finding, no warning;
 * - `quiet`: the name says its value is something other than a host (a module, a file, an id,
 *   a version, a prefix): URLs and host keys inside it are still judged, shapes are not warned about;
 * - `other`: the name says nothing about hosts: what looks like one is a shape, at most a warning.
 */
export type HostRole = 'reach' | 'listed' | 'quiet' | 'other';

/** Last words that make a name a host position: DB_HOST, API_ENDPOINT, KAFKA_BROKERS, SMTP_RELAY. */
const HOST_WORDS = new Set([
  'host', 'hosts', 'hostname', 'hostnames', 'addr', 'address', 'addresses', 'server', 'servers', 'endpoint', 'endpoints',
  'url', 'urls', 'uri', 'uris', 'dsn', 'broker', 'brokers', 'relay', 'proxy', 'upstream', 'upstreams', 'nameserver', 'nameservers',
  'seeds', 'hostaddr', 'connect', 'master', 'remote', 'ip', 'ips', 'resolver', 'resolvers',
]);
/** Two last words that together name hosts: CASSANDRA_CONTACT_POINTS, KAFKA_BOOTSTRAP_SERVERS, proxyHost. */
const HOST_PAIRS = new Set(['contact_points', 'contact_point', 'host_name', 'host_names', 'seed_hosts', 'seed_nodes', 'server_list', 'host_list', 'broker_list']);
/** Words glued to a prefix that still name a host: PGHOST, MYSQLHOST, REDISHOST, DATABASEURL. */
const GLUED = ['host', 'hostname', 'url', 'uri', 'addr'];
/**
 * The qualifier just before the host word says the program serves it rather than reaches it:
 * PUBLIC_URL, GF_SERVER_ROOT_URL, --web.external-url, REDIRECT_URI.
 * (`EXTERNAL_API_URL`, `NEXT_PUBLIC_API_URL`: the word before the host word is `api`, a reach.)
 */
const SERVED = new Set([
  'public', 'external', 'root', 'site', 'own', 'self', 'canonical', 'local', 'virtual', 'callback', 'redirect', 'return',
  'ingress', 'web', 'serve', 'serving', 'listener',
]);
/** Words that anywhere before the host word make it the program's own address: --listen-address, --initial-advertise-peer-urls, --bind-addr. */
const OWN = new Set(['listen', 'bind', 'binding', 'advertise', 'advertised', 'announce', 'announced']);
/** Words anywhere in the name that make it a list of hosts not reached: NO_PROXY, DJANGO_ALLOWED_HOSTS, CORS_ORIGINS, SESSION_COOKIE_DOMAIN. */
const LISTED_WORDS = new Set(['allowed', 'allow', 'allowlist', 'whitelist', 'trusted', 'cors', 'origins', 'cookie', 'letsencrypt', 'excluded', 'exclude', 'ignore', 'ignored', 'bypass', 'skip']);
/**
 * Last words whose value is fetched by someone else: an image reference is pulled by the
 * kubelet (or by whatever the controller creates), not reached by this workload
 * (`APISERVER_RA_IMAGE=ko://knative.dev/…`, `PROXY_IMAGE=ghcr.io/…`).
 */
const LISTED_LAST = new Set(['image', 'images']);
/** First words of names whose values are handed to browsers, not used by the pod: NEXT_PUBLIC_API_URL, PUBLIC_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
const BROWSER_FIRST = new Set(['public']);
/**
 * Last words that say what else the value is: DJANGO_SETTINGS_MODULE, METRICS_DOMAIN (a metric
 * prefix in Knative), APP_VERSION, --stackdriver-prefix, group.id, CONFIG_FILE. A dotted value
 * there is not a host by shape; a URL or a host key inside it still is.
 */
const QUIET_LAST = new Set([
  'module', 'modules', 'class', 'classname', 'package', 'packages', 'file', 'files', 'filename', 'path', 'paths', 'dir', 'directory', 'name', 'names',
  'id', 'ids', 'version', 'versions', 'tag', 'tags', 'profile', 'profiles', 'prefix', 'suffix', 'key', 'keys', 'domain', 'domains',
  'namespace', 'label', 'labels', 'format', 'pattern', 'level', 'mode', 'type', 'kind', 'env', 'environment', 'region', 'zone', 'locale', 'timezone',
  'bucket', 'topic', 'topics', 'queue', 'table', 'schema', 'index', 'group', 'role', 'user', 'username', 'email', 'attributes', 'settings', 'ms',
  'size', 'count', 'timeout', 'interval', 'enabled', 'enable', 'disabled', 'port', 'ports', 'metric', 'metrics', 'selector', 'filter', 'jar', 'main',
]);

/** A name that is `listed` whole: NO_PROXY (and no_proxy), VIRTUAL_HOST, SERVER_NAME... */
const LISTED_NAMES = new Set(['no_proxy', 'virtual_host', 'virtual_hosts', 'server_name', 'server_names', 'hostname', 'host_name']);
/** Ends of a joined name that make it `listed`: FOO_NO_PROXY. */
const LISTED_NAME_ENDS = ['_no_proxy'];

/**
 * Every word and whole name that can make a name `listed`, whatever its position: a name
 * with none of these words, not one of these names and with none of these ends is never
 * `listed`. For the native policy (src/native/hosts.ts), which must know that a variable's
 * URL is judged without running the judge.
 */
export const LISTED_SIGNALS = {
  names: [...LISTED_NAMES],
  nameEnds: LISTED_NAME_ENDS,
  words: [...new Set([...LISTED_WORDS, ...LISTED_LAST, ...BROWSER_FIRST, ...SERVED, ...OWN])],
};

const MEMO_LIMIT = 4096;
const memo = new Map<string, HostRole>();

/** The role of a name; remembered per name (names recur in every review), never per value. */
export function hostRole(name: string): HostRole {
  let role = memo.get(name);
  if (role !== undefined) return role;
  // Letters and digits are words of their own: API_URL2, REDIS2_HOST, DB_HOST_1.
  role = roleOfWords(nameWords(name));
  if (name.length <= 128) {
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(name, role);
  }
  return role;
}

export function roleOfWords(words: readonly string[]): HostRole {
  if (words.length === 0) return 'other';
  const joined = words.join('_');
  if (LISTED_NAMES.has(joined) || LISTED_NAME_ENDS.some((e) => joined.endsWith(e))) return 'listed';
  if (words.some((w) => LISTED_WORDS.has(w))) return 'listed';
  const last = words[words.length - 1]!;
  if (LISTED_LAST.has(last)) return 'listed';
  if (words.length > 1 && (BROWSER_FIRST.has(words[0]!) || (words[0] === 'next' && words[1] === 'public'))) return 'listed';
  const pair = words.length >= 2 ? `${words[words.length - 2]}_${last}` : '';
  let hostAt = -1;
  if (HOST_PAIRS.has(pair)) hostAt = words.length - 2;
  else if (HOST_WORDS.has(last)) hostAt = words.length - 1;
  else if (words.length === 1 && GLUED.some((g) => last.length > g.length + 1 && last.endsWith(g))) return 'reach';
  if (hostAt < 0) return QUIET_LAST.has(last) ? 'quiet' : 'other';
  const before = hostAt > 0 ? words[hostAt - 1]! : '';
  if (SERVED.has(before)) return 'listed';
  for (let i = 0; i < hostAt; i++) if (OWN.has(words[i]!)) return 'listed';
  return 'reach';
}
