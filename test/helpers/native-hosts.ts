// The native undeclared-host condition (src/native/hosts.ts) evaluated in JavaScript, from the
// same pattern and word lists the CEL is generated from. Unit tests hold the judge to it (every
// case it denies, the judge denies); the e2e holds the API server's CEL to it (same cases,
// same answers), so together they show the CEL never denies what the judge admits.

import { normalizeHost } from '../../src/policy/hosts.ts';
import { LISTED_SIGNALS } from '../../src/recognize/host-names.ts';
import { ENV_NAME_PATTERN, internalIPv4Ranges, IPV4, METADATA_NAMES, urlPattern } from '../../src/native/hosts.ts';
import { parseConfig } from '../../src/config/config.ts';

const URL = new RegExp(urlPattern({ ip: true }));
const IP = new RegExp(`^${IPV4}$`);
/** The IPv4 ranges the policy holds internal with the default config. */
const DEFAULT_INTERNAL = internalIPv4Ranges(parseConfig('', 'model'));
const toNumber = (a: string): number => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
/** cidr(r).containsIP(ip(h)) for IPv4, as CEL's library computes it (the network is masked). */
const contains = (range: string, host: string): boolean => {
  const [addr, bits] = range.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(addr!) / size) === Math.floor(toNumber(host) / size);
};
const NAME = new RegExp(ENV_NAME_PATTERN);

export function modelDenies(name: string, value: string, declared: readonly string[], clusterDomain = 'cluster.local', internal: readonly string[] = DEFAULT_INTERNAL): boolean {
  if (!URL.test(value) || !NAME.test(name)) return false;
  const lower = name.toLowerCase();
  if (LISTED_SIGNALS.names.includes(lower) || LISTED_SIGNALS.nameEnds.some((e) => lower.endsWith(e))) return false;
  if (lower.split('_').some((w) => LISTED_SIGNALS.words.includes(w))) return false;
  const h = value.split('/')[2]!.split(':')[0]!;
  const cluster = normalizeHost(clusterDomain);
  if (h.length > 253 || h === cluster || h.endsWith(`.${cluster}`)) return false;
  if (declared.some((p) => p === h || (p.startsWith('*.') && h.endsWith(p.slice(1))))) return false;
  return METADATA_NAMES.includes(h) || !IP.test(h) || !internal.some((r) => contains(r, h));
}

/** Names: host words, listed words, served qualifiers, browser prefixes, glued and odd shapes. */
export const NAMES = [
  'API_URL', 'STRIPE_API_URL', 'DATABASE_URL', 'WEBHOOK_ENDPOINT', 'UPSTREAM', 'BACKEND', 'FOO', 'X', 'SERVICE_HOST', 'REDIS_HOST_NAME',
  'NO_PROXY', 'HTTP_NO_PROXY', 'ALLOWED_HOSTS', 'CORS_ORIGINS', 'PUBLIC_URL', 'NEXT_PUBLIC_API_URL', 'GF_SERVER_ROOT_URL', 'EXTERNAL_URL',
  'REDIRECT_URI', 'CALLBACK_URL', 'LISTEN_ADDRESS', 'ADVERTISE_URL', 'PROXY_IMAGE', 'SERVER_NAME', 'VIRTUAL_HOST', 'HOSTNAME', 'TRUSTED_PROXY',
  'SKIP_URL', 'DB_PASSWORD', 'API_TOKEN', 'API_URL2', 'apiUrl', 'Api_Url', 'API__URL', '_API_URL', 'API-URL', 'METRICS_DOMAIN', 'CONFIG_FILE', 'APP_VERSION', 'HTTPS_PROXY',
];

/** Values: URLs the model reads and look-alikes it must not. */
export const VALUES = [
  'https://api.stripe.com/v1', 'https://api.paypal.com/', 'http://hooks.slack.com:8080/services/x', 'https://a.b.example.com',
  'https://files.evil.net/x.tar.gz', 'https://www.wikipedia.org/wiki/A%20B', 'https://api.stripe.com:443', 'https://deep.a.b.c.evil.com/p/q',
  'https://evil.com/', 'https://x.y.io/', 'https://api.svc.cluster.local/', 'https://db.shop.svc/', 'https://metadata.google.internal/',
  'https://10.0.0.1/', 'https://api.stripe.com/v1?x=1', 'https://user@api.stripe.com/', 'https://api.stripe.com/@x', 'https://API.STRIPE.COM/',
  'https://api.stripe.com./', 'https://-a.b.com/', 'https://a..b.com/', 'ftp://a.b.com/', 'https://a.b.com/ x', 'https://$(H).b.com/',
  'https://a.b.com:99999/', 'https://xn--bcher-kva.example.com/', ' https://a.b.com/', 'https://a.b.com/p/https://c.d.com/',
  // Addresses: public, internal by config or always, metadata, other forms the judge parses differently.
  'http://52.94.236.248/', 'https://8.8.8.8:443/dns', 'http://10.0.0.1:8080/', 'http://10.20.30.40/', 'http://172.16.5.4/', 'http://192.168.1.10/',
  'http://127.0.0.1:9090/', 'http://169.254.169.254/latest/meta-data/', 'http://169.254.170.2/v2/credentials', 'http://100.100.100.200/latest/',
  'http://169.254.1.1/', 'http://192.0.2.10/', 'http://224.0.0.1/', 'http://0.0.0.0/', 'http://256.1.1.1/', 'http://010.0.0.1/', 'http://1.2.3/',
  'http://0x7f000001/', 'http://[::ffff:169.254.169.254]/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://metadata/computeMetadata/v1/',
  'http://metadata.azure.com/', 'http://instance-data/latest/', 'http://100.64.1.2/', 'http://11.0.0.1/',
];
