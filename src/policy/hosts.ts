// undeclared-external-host, first half: find hosts outside the cluster in env values, command
// and args. The judge then checks them against ExternalName declarations and allowedHosts.
//
// Decisions on ambiguous cases (documented in docs/detection.md):
// - A name is external only when it ends in an ICANN public suffix (tldts) and has a
//   registrable domain: `my.service.consul`, `db.corp` or `x.internal` are private DNS, not
//   public hosts. Reserved names (.local, .localhost, .internal, .test, .invalid, .example,
//   .lan, .home.arpa) are never external.
// - Strong context (inside a URL, or with a :port) trusts the name; weak context (a bare word)
//   also rejects words that only look like hosts: file names (entrypoint.sh, manage.py,
//   application.properties: .sh .py .properties are real TLDs), Java packages and class
//   names (org.springframework.boot, com.example.Main), -Dsystem.property keys, e-mail
//   addresses, and anything with a "/" (paths, image references, label keys).
// - Cluster-internal: single labels, *.svc, *.<clusterDomain>, localhost, and `svc.<ns>`
//   when Service <svc> exists in <ns> (redis.shop: .shop is also a TLD, and a namespace
//   named `com` must not make every x.com internal).
// - IP literals are external unless loopback, unspecified, link-local, multicast, or inside
//   internalCIDRs.
// - A reference (`$VAR`, or OPAQUE: a value the object does not hold, see objects/expand.ts)
//   carries no host itself; the literal text around it is still judged, and a run-time prefix
//   (`$(REGION).example.com`) names a host under the literal suffix. `$(VAR)` of a variable
//   written in the object was already expanded, so `https://$(HOST)/` is judged with its value.

import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { parse as parseDomain } from 'tldts';
import { nameFacts, NO_EXTRA_NAMES } from './names.ts';
import { forEachWord, trimEndChars, trimStartChars, urlSpans } from './scan.ts';
import { isNameChar, isNameStart, OPAQUE } from '../objects/expand.ts';
import { argvGroups, argvWords, programName, SEPARATOR } from './shell.ts';
import type { HostFinding, HostSettings, ScannedText } from './types.ts';

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
}

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
  // Never external whatever the configuration says.
  internal.addSubnet('127.0.0.0', 8, 'ipv4');
  internal.addSubnet('0.0.0.0', 8, 'ipv4');
  internal.addSubnet('169.254.0.0', 16, 'ipv4');
  internal.addSubnet('224.0.0.0', 3, 'ipv4');
  internal.addAddress('::1', 'ipv6');
  internal.addAddress('::', 'ipv6');
  internal.addSubnet('fe80::', 10, 'ipv6');
  internal.addSubnet('ff00::', 8, 'ipv6');
  // Documentation ranges (RFC 5737, RFC 3849): examples in manifests, routed nowhere.
  internal.addSubnet('192.0.2.0', 24, 'ipv4');
  internal.addSubnet('198.51.100.0', 24, 'ipv4');
  internal.addSubnet('203.0.113.0', 24, 'ipv4');
  internal.addSubnet('2001:db8::', 32, 'ipv6');
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
]);
const JAVA_ROOTS = new Set(['com', 'org', 'net', 'io', 'java', 'javax', 'jakarta', 'android', 'kotlin', 'scala', 'de', 'uk']);

const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DIGITS_AND_DOTS = /^[0-9.]+$/;
const UPPER = /[A-Z]/;
/** A label of a numeric IPv4 form: decimal, octal or 0x hex. */
export const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
/** A host that a client would percent-decode or IDNA-map before resolving it. */
const NEEDS_IDNA = /[^\x00-\x7f]|%/;
/** `http:evil.com`, `http:\\evil.com`: special schemes take any run of slashes and backslashes, or none (WHATWG). */
const SPECIAL_SCHEME = /^(?:https?|wss?|ftp):/i;
/** Longest word that can still be a host: a 253-character name, a port, brackets, a trailing dot. */
const MAX_HOST_WORD = 253 + 8;

/**
 * How sure the context is that a word is a host: `url` (the host of a URL), `strong` (a
 * `host:port`, a host-named variable, a network tool's argument), `weak` (any other word,
 * where file names, Java classes and versions must be told apart).
 */
type Strength = 'url' | 'strong' | 'weak';

/** Cloud metadata services: the node's and the account's credentials, one request away. */
export const METADATA_HOSTS: ReadonlySet<string> = new Set([
  '169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '169.254.170.2',
  'metadata', 'metadata.google.internal', 'metadata.goog', 'metadata.azure.com', 'instance-data', 'instance-data.ec2.internal',
  'metadata.tencentyun.com', 'metadata.platformequinix.com', 'metadata.packet.net', 'metadata.oraclecloud.com',
]);

/**
 * An IPv4 address in any form inet_aton and the WHATWG URL parser accept: 1 to 4 parts,
 * each decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes
 * (`134744072`, `0x8.0x8.0x8.0x8`, `010.010.010.010`, `8.8.2056`). Undefined when not one.
 * Outside a URL only the forms no version string takes count: four parts, or a hex part.
 */
export function numericIPv4(h: string, strength: Strength): string | undefined {
  const labels = h.split('.');
  if (labels.length > 4 || !labels.every((l) => NUMERIC_LABEL.test(l))) return undefined;
  if (strength !== 'url' && labels.length !== 4 && !labels.some((l) => l.startsWith('0x'))) return undefined;
  const parts: number[] = [];
  for (const l of labels) {
    let n: number;
    if (l.startsWith('0x')) n = l.length === 2 ? 0 : Number.parseInt(l.slice(2), 16);
    else if (l.length > 1 && l.startsWith('0')) {
      if (!/^[0-7]+$/.test(l)) return undefined;
      n = Number.parseInt(l, 8);
    } else n = Number(l);
    if (!Number.isSafeInteger(n)) return undefined;
    parts.push(n);
  }
  const last = parts.pop()!;
  if (parts.some((p) => p > 255) || last >= 256 ** (4 - parts.length)) return undefined;
  let value = last;
  parts.forEach((p, i) => { value += p * 256 ** (3 - i); });
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function isInternalName(h: string, settings: CompiledHostSettings, ctx: HostContext): boolean {
  const labels = h.split('.');
  if (labels.length === 1) return true;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === settings.clusterSuffix || h.endsWith(`.${settings.clusterSuffix}`)) return true;
  if (labels.at(-1) === 'svc') return true; // x.ns.svc; svc.evil.com is not
  if (labels.length === 2 && ctx.hasService(labels[1]!, labels[0]!)) return true;
  if (h.endsWith('.home.arpa') || RESERVED_TLDS.has(labels.at(-1)!)) return true;
  return false;
}

/** A single word a numeric IPv4 form could be: digits, or hex with 0x. */
const mayBeNumericIPv4 = (raw: string, strength: Strength): boolean =>
  (strength === 'url' && /^[0-9]+$/.test(raw)) || /^0[xX][0-9a-fA-F]*$/.test(raw);

/** The candidate is worth classifying: a dot or colon, a one-part numeric address, or a dot IDNA may map. */
function mayBeHost(raw: string, strength: Strength): boolean {
  return raw.includes('.') || raw.includes(':') || mayBeNumericIPv4(raw, strength) || NEEDS_IDNA.test(raw);
}

/** Returns the normalised external host, or undefined when the candidate is not one (callers filter with mayBeHost first). */
function classify(raw: string, strength: Strength, settings: CompiledHostSettings, ctx: HostContext): string | undefined {
  let h = normalizeHost(raw);
  // No host is longer, even with every character a percent-encoded 4-byte UTF-8 sequence
  // (12 characters): a huge word is never decoded or mapped.
  if (h.length > 12 * 253) return undefined;
  if (NEEDS_IDNA.test(h)) {
    // As a client resolves it (WHATWG host parsing): percent-decoded, then IDNA-mapped, so
    // `%65vil.com`, `evil。com` (an ideographic full stop) and `exämple.com` are real hosts.
    let decoded = h;
    try { if (h.includes('%')) decoded = decodeURIComponent(h); } catch { return undefined; }
    h = normalizeHost(domainToASCII(decoded));
  }
  if (h === '' || h.length > 253) return undefined;
  // The common in-cluster names first: no address or public suffix ends in svc or the cluster domain.
  if (h.endsWith('.svc') || h.endsWith(`.${settings.clusterSuffix}`)) return undefined;
  // Reaching a metadata service needs an explicit allowedHosts entry: it is inside the node,
  // but it hands out the node's and the cloud account's credentials.
  if (METADATA_HOSTS.has(h)) return h;
  const family = isIP(h);
  if (family) return settings.internal.check(h, family === 4 ? 'ipv4' : 'ipv6') ? undefined : h;
  const numeric = numericIPv4(h, strength);
  if (numeric) {
    if (METADATA_HOSTS.has(numeric)) return numeric;
    return settings.internal.check(numeric, 'ipv4') ? undefined : numeric;
  }
  if (DIGITS_AND_DOTS.test(h)) return undefined; // versions, decimals
  const labels = h.split('.');
  if (!labels.every((l) => LABEL.test(l))) return undefined;
  if (isInternalName(h, settings, ctx)) return undefined;
  if (strength === 'weak') {
    const trimmed = raw.endsWith('.') ? raw.slice(0, -1) : raw;
    if (UPPER.test(trimmed)) return undefined; // Java class names, property keys written in camelCase
    if (FILE_EXTENSIONS.has(labels.at(-1)!)) return undefined;
    if (labels.length >= 3 && JAVA_ROOTS.has(labels[0]!)) return undefined;
  }
  const parsed = parseDomain(h, { allowPrivateDomains: false });
  if (!parsed.isIcann || !parsed.domain || parsed.domain === parsed.publicSuffix) return undefined;
  return h;
}

type Add = (raw: string, strength: Strength, port?: number, under?: boolean) => void;

/** A shell's `$NAME` is a value chosen at run time, like OPAQUE: it becomes OPAQUE here. */
function opaqueShellVars(word: string): string {
  let out = '';
  let checkpoint = 0;
  for (let i = word.indexOf('$'); i >= 0; i = word.indexOf('$', i + 1)) {
    let j = i + 1;
    if (!isNameStart(word.charCodeAt(j))) continue;
    while (isNameChar(word.charCodeAt(j))) j++;
    out += word.slice(checkpoint, i) + OPAQUE;
    checkpoint = j;
    i = j - 1;
  }
  return out + word.slice(checkpoint);
}

/**
 * A name with parts only known at run time (`evil.com$(E)`, `$(E)evil.com`, `$(REGION).evil.com`)
 * is judged by its literal parts: an opaque part cannot hide the name next to it. A part that
 * starts with "." after an opaque one is a host somewhere under that suffix (`under`).
 */
function literalParts(raw: string, visit: (part: string, under: boolean) => void): void {
  const parts = raw.split(OPAQUE);
  parts.forEach((part, i) => {
    if (part === '') return;
    if (i > 0 && part.startsWith('.')) visit(trimStartChars(part, '.'), true);
    else visit(part, false);
  });
}

/** Where a word sits: what decides how much a bare name is trusted to be a host. */
interface Position {
  /** Strength of a bare name: `strong` under a host-named variable or after a network tool. */
  bare: Strength;
  /** The command is a network tool: `host/path` without a scheme names a host (curl evil.com/x). */
  paths?: boolean;
  /** The command logs in to a host: `user@host` names it (ssh tunnel@evil.com). */
  login?: boolean;
}
const ANYWHERE: Position = { bare: 'weak' };
/** A variable named for a host or URL: `API_BASE_URL=api.example.com/v1` names api.example.com. */
const HOST_VALUE: Position = { bare: 'strong', paths: true };

/** Name tokens that say a variable holds a host or an address (DB_HOST, API_ENDPOINT, KAFKA_BROKERS). */
const HOST_NAME_TOKENS = new Set(['host', 'hosts', 'hostname', 'server', 'servers', 'endpoint', 'endpoints', 'url', 'urls', 'uri', 'addr', 'address', 'domain', 'upstream', 'remote', 'proxy', 'broker', 'brokers', 'dsn']);
/** Commands whose arguments are hosts (nc evil.sh 4444: .sh is a TLD there, not a file). */
const HOST_TOOLS = new Set(['nc', 'ncat', 'netcat', 'telnet', 'ping', 'ping6', 'dig', 'nslookup', 'host', 'traceroute', 'socat', 'ftp', 'lftp', 'mosh', 'ssh', 'sftp', 'ssh-keyscan', 'openssl']);
/** Commands that take a URL and accept it without a scheme (curl evil.com/x). */
const URL_TOOLS = new Set(['curl', 'wget', 'http', 'https', 'xh', 'aria2c']);
/** Commands that log in to `user@host`. */
const LOGIN_TOOLS = new Set(['ssh', 'sftp', 'mosh', 'scp', 'rsync', 'autossh', 'sshpass']);

function toolPosition(program: string): Position {
  const name = programName(program);
  return {
    bare: HOST_TOOLS.has(name) ? 'strong' : 'weak',
    ...(URL_TOOLS.has(name) ? { paths: true } : {}),
    ...(LOGIN_TOOLS.has(name) ? { login: true } : {}),
  };
}

/**
 * `user@host` forms. With a colon after the host it is a host whatever the command
 * (`git@evil.com:org/repo.git`, `scp f u@evil.com:`, `jdbc:oracle:thin:@evil.com:1521`); after
 * ssh-like commands it is one anyway. Anything else with an "@" is an e-mail address.
 */
function userAtHost(raw: string, add: Add, pos: Position): void {
  let rest = raw.slice(raw.lastIndexOf('@') + 1);
  if (rest.startsWith('//')) rest = rest.slice(2); // jdbc:oracle:thin:@//host:port/service
  const colon = rest.indexOf(':');
  const slash = rest.indexOf('/');
  if (colon > 0 && (slash < 0 || colon < slash)) {
    const port = /^[0-9]{1,5}(?![0-9])/.exec(rest.slice(colon + 1));
    add(rest.slice(0, colon), 'strong', port ? Number(port[0]) : undefined);
  } else if (pos.login) {
    add(slash < 0 ? rest : rest.slice(0, slash), 'strong');
  }
}

/** The rest of `http:evil.com` or `http:\\\\evil.com` (no "://", which urlSpans reads): its host, as a URL's. */
function schemeWithoutSlashes(rest: string, add: Add, under: boolean): void {
  rest = trimStartChars(rest, '/\\');
  let end = 0;
  while (end < rest.length && !'/\\?#'.includes(rest[end]!)) end++;
  const authority = rest.slice(0, end);
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const hp = HOST_PORT_RE.exec(hostPort);
  if (hp) add(hp[1]!, 'url', Number(hp[2]), under);
  else if (hostPort !== '') add(hostPort, 'url', undefined, under);
}

/** socat and similar address types before `host:port`: tcp:, tcp-connect:, openssl:, socks4a:… */
const SOCKET_ADDRESS = /^(?:tcp[46]?|udp[46]?|sctp|(?:tcp[46]?|udp[46]?|sctp|openssl|ssl)-connect|udp-sendto|openssl|ssl|proxy|socks[45]?a?):/i;

/**
 * Characters without which no host can be read from a text: a name needs a dot (or a colon
 * for host:port and IPv6, an "@" for user@host), a numeric address 0x, an IDNA name a
 * non-ASCII character or "%", and "$" or OPAQUE (non-ASCII) mark run-time parts. Most words
 * and many values hold none, and skipping them is most of the host rule's saving.
 */
const HOST_CHARS = new Uint8Array(128);
for (const c of '.:@$%xX') HOST_CHARS[c.charCodeAt(0)] = 1;
function mayHoldHost(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || HOST_CHARS[c] === 1) return true;
  }
  return false;
}

/** One word outside a URL: `host`, `host:port`, `[v6]:port`, `--flag=host`, `tcp:host:port`. */
function visitWord(raw: string, add: Add, pos: Position, under = false): void {
  if (raw.length > MAX_HOST_WORD + 64 || !mayHoldHost(raw)) return;
  if (raw.includes('$')) raw = opaqueShellVars(raw);
  if (raw.includes(OPAQUE)) {
    literalParts(raw, (part, partUnder) => visitWord(part, add, pos, partUnder));
    return;
  }
  const scheme = SPECIAL_SCHEME.exec(raw);
  if (scheme) { schemeWithoutSlashes(raw.slice(scheme[0].length), add, under); return; }
  if (raw.includes('@')) { userAtHost(raw, add, pos); return; }
  if (raw.includes('\\')) return;
  const slash = raw.indexOf('/');
  if (slash >= 0) {
    // Paths, image references and label keys are not hosts, except where a network tool takes
    // `host/path` without a scheme.
    if (!pos.paths || slash === 0 || raw.startsWith('.') || raw.startsWith('~') || raw.startsWith('-')) return;
    raw = raw.slice(0, slash);
  }
  // -Dsystem.property.key and --flag.name: a name, whose value is the next word after '='.
  if (raw.startsWith('-D') || raw.startsWith('--')) return;
  let word = trimStartChars(raw, '-');
  const address = SOCKET_ADDRESS.exec(word);
  if (address) word = word.slice(address[0].length);
  word = trimEndChars(word, '.:');
  if (word.length > MAX_HOST_WORD) return;
  const hp = HOST_PORT_RE.exec(word);
  if (hp) add(hp[1]!, 'strong', Number(hp[2]), under);
  else if (word.includes(':') && isIP(trimEndChars(trimStartChars(word, '['), ']')) === 6) add(word, 'strong', undefined, under);
  else if (word.includes('.') || NEEDS_IDNA.test(word) || (pos.bare === 'strong' && word.startsWith('0x'))) add(word, slash >= 0 ? 'strong' : pos.bare, undefined, under);
}

/**
 * Words of a text that might be hosts, with how strongly the context says so. The whole text
 * is read, however long: nothing past a cap goes unjudged.
 */
function candidates(value: string, add: Add, pos: Position = ANYWHERE): void {
  const spans = value.includes('://') ? urlSpans(value) : [];
  for (const u of spans) {
    if (u.host === '') continue;
    const host = u.host.includes('$') ? opaqueShellVars(u.host) : u.host;
    if (!host.includes(OPAQUE)) add(host, 'url', u.port);
    else literalParts(host, (part, under) => add(trimEndChars(part, '.'), 'url', u.port, under));
  }
  forEachWord(value, spans, (raw) => visitWord(raw, add, pos));
}

export function findExternalHosts(texts: readonly ScannedText[], settings: CompiledHostSettings, ctx: HostContext): HostFinding[] {
  const out: HostFinding[] = [];
  const seen = new Set<string>();
  const scan = (t: ScannedText, value: string, pos: Position): void => {
    if (!mayHoldHost(value)) return;
    const tried = new Set<string>(); // a text that repeats one word pays for it once
    candidates(value, (raw, strength, port, under) => {
      if (!mayBeHost(raw, strength)) return; // a single label: a Service name, or no host
      const attempt = `${strength}${port ?? ''}${under ? '*' : ''}\u0000${raw}`;
      if (tried.has(attempt)) return;
      tried.add(attempt);
      const host = classify(raw, strength, settings, ctx);
      if (!host) return;
      const key = `${t.path}\u0000${under ? '*.' : ''}${host}`;
      if (seen.has(key)) return;
      seen.add(key);
      const finding: HostFinding = { path: t.path, host };
      if (port !== undefined && port > 0 && port < 65536) finding.port = port;
      if (under) finding.under = true;
      out.push(finding);
    }, pos);
  };
  for (const t of texts) {
    if (t.field === 'host') scan(t, t.value, HOST_VALUE);
    else if (t.field === 'env' || t.field === 'header') {
      scan(t, t.value, t.envName !== undefined && nameFacts(t.envName, NO_EXTRA_NAMES).words.some((w) => HOST_NAME_TOKENS.has(w)) ? HOST_VALUE : ANYWHERE);
    }
  }
  // Scripts are split into shell words so quoting does not hide a host; `-h host` pairs need no
  // special case because every word is scanned. The command's program decides how far a bare
  // word is trusted to be a host.
  for (const group of argvGroups(texts)) {
    let pos = ANYWHERE;
    let start = true;
    for (const { word, text } of argvWords(group)) {
      if (word === SEPARATOR) { start = true; pos = ANYWHERE; continue; }
      scan(group[text]!, word, pos);
      if (start && !word.includes('=')) { pos = toolPosition(word); start = false; }
    }
  }
  return out;
}
