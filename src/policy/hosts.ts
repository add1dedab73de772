// undeclared-external-host: which of the host candidates recognition found (src/recognize/)
// are outside the cluster. Recognition says where a text names a host and how sure its
// position is (`position` or `shape`); this rule parses each candidate as the client would and
// decides. The judge then checks external hosts against ExternalName declarations and
// allowedHosts, denies positions and only warns about shapes.
//
// Decisions on ambiguous cases (documented in docs/detection.md):
// - A name is external only when it ends in an ICANN public suffix (tldts) and has a
//   registrable domain: `my.service.consul`, `db.corp` or `x.internal` are private DNS, not
//   public hosts. Reserved names (.local, .localhost, .internal, .test, .invalid, .example,
//   .lan, .home.arpa) are never external.
// - A shape (a bare word in no host position) also leaves out words that only look like hosts:
//   file names (entrypoint.sh, best.pt: .sh and .pt are real TLDs), Java packages and class
//   names (org.springframework.boot, com.example.Main).
// - Cluster-internal: single labels, *.svc, *.<clusterDomain>, localhost, `svc.<ns>` when
//   Service <svc> exists in <ns> (redis.shop: .shop is also a TLD, and a namespace named `com`
//   must not make every x.com internal), and `pod.<svc>` for a Service of the workload's own
//   namespace (a headless Service's Pods).
// - IP literals are external unless loopback, unspecified, link-local, multicast, documentation
//   ranges or inside internalCIDRs; cloud metadata services always are.

import { BlockList, isIP } from 'node:net';
import { parse as parseDomain } from 'tldts';
import { hostCandidates, type HostCandidate } from '../recognize/hosts.ts';
import { isMetadataHost, mayNameAPlace, METADATA_HOSTS, parseHost } from '../recognize/host-text.ts';
import type { CredentialWords } from './credential-places.ts';
import type { HostFinding, HostSettings, ScannedText } from './types.ts';

export { METADATA_HOSTS };

export interface CompiledHostSettings {
  clusterSuffix: string;
  internal: BlockList;
}

export interface HostContext {
  /** The namespace is known to exist (in the catalog, or the request's own). */
  hasNamespace(name: string): boolean;
  /**
   * Service `name` exists in `namespace`: only then is `name.namespace` internal. A namespace
   * alone is not enough, or whoever may create namespace `com` would make every `x.com`
   * internal for every tenant.
   */
  hasService(namespace: string, name: string): boolean;
  /**
   * A Service of this name exists in the workload's own namespace (or is the StatefulSet's
   * governing Service): `pod-0.name` is then one of its Pods, reached inside the cluster
   * through the namespace's search domain.
   */
  hasLocalService?(name: string): boolean;
}

/**
 * Never external whatever the configuration says: loopback, unspecified, link-local, multicast,
 * and the documentation ranges (RFC 5737, RFC 3849: examples in manifests, routed nowhere).
 * The native host policy reads the same list (src/native/hosts.ts).
 */
export const ALWAYS_INTERNAL_CIDRS: readonly string[] = [
  '127.0.0.0/8', '0.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3', '::1/128', '::/128', 'fe80::/10', 'ff00::/8',
  '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32',
];

export function compileHostSettings(s: HostSettings): CompiledHostSettings {
  const internal = new BlockList();
  for (const cidr of s.internalCIDRs) {
    const [addr, bits] = cidr.split('/');
    const family = isIP(addr ?? '');
    const prefix = Number(bits);
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new Error(`internalCIDRs: "${cidr}" is not a valid CIDR`);
    }
    internal.addSubnet(addr!, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  for (const cidr of ALWAYS_INTERNAL_CIDRS) {
    const [addr, bits] = cidr.split('/');
    internal.addSubnet(addr!, Number(bits), addr!.includes(':') ? 'ipv6' : 'ipv4');
  }
  return { clusterSuffix: normalizeHost(s.clusterDomain), internal };
}

export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** allowedHosts entry: exact name, "*.suffix" (any deeper name, not the apex), or an IP literal. */
export function hostMatches(host: string, pattern: string): boolean {
  const h = normalizeHost(host);
  const p = normalizeHost(pattern);
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p;
}

const RESERVED_TLDS = new Set(['local', 'localhost', 'internal', 'test', 'invalid', 'example', 'lan', 'localdomain', 'intranet', 'corp', 'home']);
const FILE_EXTENSIONS = new Set([
  'sh', 'bash', 'py', 'js', 'mjs', 'cjs', 'ts', 'rb', 'pl', 'go', 'java', 'jar', 'war', 'ear', 'class', 'kt', 'scala', 'php', 'lua', 'r',
  'json', 'yaml', 'yml', 'xml', 'toml', 'ini', 'conf', 'cfg', 'properties', 'env', 'txt', 'md', 'rst', 'log', 'csv', 'tsv', 'html', 'htm',
  'css', 'sql', 'db', 'sqlite', 'zip', 'gz', 'tgz', 'tar', 'bz2', 'xz', 'pem', 'crt', 'cer', 'key', 'p12', 'jks', 'so', 'dll', 'exe', 'bin',
  'lock', 'pid', 'sock', 'mov', 'png', 'jpg', 'svg', 'pdf', 'wasm', 'dat', 'tmp', 'bak', 'out', 'err', 'cgi', 'rs', 'c', 'h', 'cpp', 'cs',
  // Also top-level domains, but far more often a file or a module in a plain argument: PyTorch
  // weights, Terraform, public keys, templates, bundles.
  'pt', 'pth', 'ckpt', 'onnx', 'pkl', 'tf', 'tfvars', 'hcl', 'pub', 'in', 'app', 'mo', 'po', 'whl', 'deb', 'rpm', 'apk', 'iso', 'img', 'pm',
  'ps', 'ps1', 'bat', 'cmd', 'vbs', 'gradle', 'kts', 'tpl', 'tmpl', 'j2', 'erb', 'hbs', 'mustache', 'patch', 'diff', 'ipynb', 'r', 'jl', 'swift',
]);
const JAVA_ROOTS = new Set(['com', 'org', 'net', 'io', 'java', 'javax', 'jakarta', 'android', 'kotlin', 'scala', 'de', 'uk']);

const DIGITS_AND_DOTS = /^[0-9.]+$/;
const UPPER = /[A-Z]/;
/** A label of a numeric IPv4 form: decimal, octal or 0x hex. */
export const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
function isInternalName(h: string, settings: CompiledHostSettings, ctx: HostContext): boolean {
  const labels = h.split('.');
  if (labels.length === 1) return true;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === settings.clusterSuffix || h.endsWith(`.${settings.clusterSuffix}`)) return true;
  if (labels.at(-1) === 'svc') return true; // x.ns.svc; svc.evil.com is not
  if (labels.length === 2 && (ctx.hasService(labels[1]!, labels[0]!) || ctx.hasLocalService?.(labels[1]!))) return true;
  if (h.endsWith('.home.arpa') || RESERVED_TLDS.has(labels.at(-1)!)) return true;
  return false;
}

/** Returns the normalised external host, or undefined when the candidate is not one outside the cluster. */
function classify(c: HostCandidate, settings: CompiledHostSettings, ctx: HostContext): string | undefined {
  const parsed = parseHost(c.raw, c.numeric);
  if (!parsed) return undefined;
  const h = parsed.host;
  // Reaching a metadata service needs an explicit allowedHosts entry: it is inside the node,
  // but it hands out the node's and the cloud account's credentials.
  if (isMetadataHost(parsed)) return h;
  if (parsed.ip) return settings.internal.check(h, parsed.ip === 4 ? 'ipv4' : 'ipv6') ? undefined : h;
  if (DIGITS_AND_DOTS.test(h)) return undefined; // versions, decimals
  const labels = h.split('.');
  if (isInternalName(h, settings, ctx)) return undefined;
  if (c.bare) {
    // Judged by shape alone: words that only look like hosts are left out of the warning too.
    const trimmed = c.raw.endsWith('.') ? c.raw.slice(0, -1) : c.raw;
    if (UPPER.test(trimmed)) return undefined; // Java class names, property keys written in camelCase
    if (FILE_EXTENSIONS.has(labels.at(-1)!)) return undefined;
    if (labels.length >= 3 && JAVA_ROOTS.has(labels[0]!)) return undefined;
  }
  const domain = parseDomain(h, { allowPrivateDomains: false });
  if (!domain.isIcann || !domain.domain || domain.domain === domain.publicSuffix) return undefined;
  return h;
}

/**
 * Hosts outside the cluster that the texts reach: position findings (judged) and shapes
 * (`shape: true`: words that only look like hosts, never a denial). One finding per host and
 * path; the whole text is read, however long.
 */
export function findExternalHosts(texts: readonly ScannedText[], settings: CompiledHostSettings, ctx: HostContext): HostFinding[] {
  const finder = hostFinder(settings, ctx);
  hostCandidates(texts, finder.add);
  return finder.findings;
}

/**
 * The host rule's accumulator: candidates in (from the fields and from a command-line walk
 * shared with the other rules), external hosts out, once per host and path.
 */
export function hostFinder(settings: CompiledHostSettings, ctx: HostContext): { add: (t: ScannedText, c: HostCandidate) => void; findings: HostFinding[] } {
  const out: HostFinding[] = [];
  // Per text (its path is long; a key per text would be built and hashed once per candidate):
  // the attempts already classified (a text that repeats one word pays for it once) and the
  // hosts already found.
  const tried = new Map<ScannedText, Set<string>>();
  const seen = new Map<ScannedText, Set<string>>();
  let attempts = 0;
  const setOf = (m: Map<ScannedText, Set<string>>, t: ScannedText): Set<string> => {
    let set = m.get(t);
    if (!set) m.set(t, (set = new Set()));
    return set;
  };
  const add = (t: ScannedText, c: HostCandidate): void => {
    if (!mayNameAPlace(c.raw, c.numeric)) return;
    const attempt = `${c.certainty}${c.numeric}${c.bare ? 'b' : ''}${c.port ?? ''}${c.under ? '*' : ''}\u0000${c.raw}`;
    const triedHere = setOf(tried, t);
    if (triedHere.has(attempt)) return;
    if (attempts < MAX_TRIED) { triedHere.add(attempt); attempts++; }
    const host = classify(c, settings, ctx);
    if (!host) return;
    const key = `${c.certainty}${c.under ? '*.' : ''}${host}`;
    const seenHere = setOf(seen, t);
    if (seenHere.has(key)) return;
    seenHere.add(key);
    const finding: HostFinding = { path: t.path, host, written: c.raw };
    if (c.port !== undefined && c.port > 0 && c.port < 65536) finding.port = c.port;
    if (c.under) finding.under = true;
    if (c.certainty === 'shape') finding.shape = true;
    out.push(finding);
  };
  return { add, findings: out };
}

/** Attempts remembered per review: enough for any real object, bounded for a crafted one. */
const MAX_TRIED = 100_000;

declare const shown: unique symbol;
/**
 * A host name that output may carry: only `shownHost` makes one, and the messages that name a
 * host take nothing else. Every channel (denial, warnings, `check` in every format) prints
 * violation messages, so a credential can reach none of them through a host.
 */
export type ShownHost = string & { readonly [shown]: true };

/**
 * The host of a finding, when it may be shown: found by a host position (a shape is never
 * named), not a word of any credential place of its holder (`secretWords`: a password shaped
 * like a host, wherever else it also appears), and not in a text that holds a credential, sits
 * under a credential's name or flows into one (`hiddenPaths`, from the judge). Otherwise
 * undefined: the violation stands, without the host.
 */
export function shownHost(f: HostFinding, hiddenPaths: ReadonlySet<string>, secretWords: CredentialWords): ShownHost | undefined {
  if (f.shape || hiddenPaths.has(f.path) || secretWords.has(f.host) || (f.written !== undefined && secretWords.has(f.written))) return undefined;
  return f.host as ShownHost;
}
