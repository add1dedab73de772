// Text in a host position, read the way the program that resolves it reads it: a URL parser
// (WHATWG's in Node and browsers, Python's urllib, curl's, Go's net/url), then inet_aton and
// getaddrinfo in glibc or musl. A guard that reads a host more narrowly than the client does is bypassed by
// the difference (`x_y.attacker.com`, `%65vil.com`, `0xa9fea9fe`, `[::ffff:169.254.169.254]`).
//
// Every function here is pure and reads its input a bounded number of times, whatever its
// length: a tenant chooses the text, and the webhook judges it on one event loop.
//
// Decisions where the clients disagree:
// - Labels take letters, digits, `-` and `_`: what every resolver takes (Go's isDomainName
//   refuses anything else, glibc checks names with res_hnok). WHATWG also accepts
//   `!$&'()*+,;=` and a few more, and musl sends any name to DNS, so a wildcard record could
//   answer `x!y.attacker.com` on Alpine; such texts are still not hosts here, or NO_PROXY's
//   `*.example.com` would be one.
// - An ASCII name is only lower-cased: curl, Go and getaddrinfo resolve `xn--` labels without
//   checking their Punycode, so neither does this. A name with non-ASCII code points is mapped
//   by Node's own IDNA (UTS #46, as WHATWG requires); a name it rejects is not a host.
// - A zone id (`fe80::1%eth0`, `[fe80::1%25eth0]`) is accepted and dropped: curl, Go and
//   getaddrinfo take it; WHATWG rejects it, but the address is the same either way.
// - ::ffff:0:0/96 (IPv4-mapped: a dual-stack socket connects to the IPv4 address) and
//   64:ff9b::/96 (the NAT64 well-known prefix: the translator connects to it) are the IPv4
//   address. ::/96 (IPv4-compatible, deprecated, routed by nothing in a pod, and home of :: and
//   ::1) and ::ffff:0:0:0/96 (SIIT) stay IPv6, but isMetadataHost still sees a metadata
//   address embedded in them.

import { domainToASCII } from 'node:url';

export interface HostText {
  /** Normalised: lower-case ASCII after percent-decoding and IDNA mapping, no trailing dot; an IPv4 in dotted decimal; an IPv6 without brackets and without zone id. */
  host: string;
  /** 4 or 6 for an IP literal. An IPv4-mapped IPv6 (::ffff:169.254.169.254, ::ffff:a9fe:a9fe) or NAT64 (64:ff9b::/96) address is returned as its IPv4, ip: 4. */
  ip?: 4 | 6;
}

/** DNS limits (RFC 1035): 253 characters for a name without its trailing dot, 63 for a label. */
const MAX_NAME = 253;
const MAX_LABEL = 63;
/**
 * Canonical composition folds at most four code points into one character (U+1F82), and no
 * other IDNA step shortens a name once ignored code points are gone, so a text with more
 * significant code points than this cannot map to a name of MAX_NAME characters. Past it the
 * text is not decoded any further.
 */
const MAX_CODE_POINTS = 4 * (MAX_NAME + 3);
/**
 * Leading zeros of a numeric label change neither its value nor its radix, and inet_aton and
 * WHATWG take any number of them (`0000…0251.0376.0251.0376` is 169.254.169.254), so a run of
 * them is kept only this long: still longer than any name label, so a name is no more valid
 * for the zeros dropped.
 */
const MAX_ZEROS = MAX_LABEL + 1;
/** An IPv6 literal with brackets, an embedded IPv4 and a zone id fits in far less. */
const MAX_IPV6_TEXT = 256;

/** WHATWG removes ASCII TAB, LF and CR anywhere in a URL before parsing it. */
export const isTabOrNewline = (c: number): boolean => c === 9 || c === 10 || c === 13;

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Name characters before mapping: what IDNA leaves as they are, except for case. */
const NAME_ASCII = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.') NAME_ASCII[c.charCodeAt(0)] = 1;
/** Label characters after mapping. */
const LABEL_CHAR = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyz0123456789-_') LABEL_CHAR[c.charCodeAt(0)] = 1;

/**
 * Code points IDNA maps to nothing (UTS #46 "ignored", as Node 24 applies it): `ev\u00adil.com`
 * is evil.com. They are dropped before the length cap, or padding a host with them would hide
 * it. test/unit/host-text.test.ts checks this list against node:url.
 */
export function isIgnoredByIdna(cp: number): boolean {
  if (cp < 0xad) return false;
  return cp === 0xad || cp === 0x34f || cp === 0x115f || cp === 0x1160 || cp === 0x17b4 || cp === 0x17b5
    || (cp >= 0x180b && cp <= 0x180f) || cp === 0x200b || (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f)
    || cp === 0x3164 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff || cp === 0xffa0
    || (cp >= 0x1bca0 && cp <= 0x1bca3) || (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

/** Code points IDNA maps to "0" and to "x": a fullwidth `０ｘ` prefix pads as well as `0x`. */
export const ZERO_LIKE: ReadonlySet<number> = new Set([0x30, 0x2070, 0x2080, 0x24ea, 0xff10, 0x1ccf0, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1fbf0]);
export const X_LIKE: ReadonlySet<number> = new Set([
  0x58, 0x78, 0x2e3, 0x2093, 0x2169, 0x2179, 0x24cd, 0x24e7, 0xff38, 0xff58, 0x1cced,
  0x1d417, 0x1d431, 0x1d44b, 0x1d465, 0x1d47f, 0x1d499, 0x1d4b3, 0x1d4cd, 0x1d4e7, 0x1d501, 0x1d51b, 0x1d535, 0x1d54f,
  0x1d569, 0x1d583, 0x1d59d, 0x1d5b7, 0x1d5d1, 0x1d5eb, 0x1d605, 0x1d61f, 0x1d639, 0x1d653, 0x1d66d, 0x1d687, 0x1d6a1, 0x1f147,
]);
/** What separates labels before mapping: "." and the ideographic and fullwidth full stops. */
const isLabelDot = (cp: number): boolean => cp === 0x2e || cp === 0x3002 || cp === 0xff0e || cp === 0xff61;

/**
 * The code points a client resolves, in order: TAB/LF/CR removed, percent-escapes decoded as
 * UTF-8 (strictly: an invalid sequence fails, as WHATWG's host parser fails), code points IDNA
 * ignores dropped, and runs of leading zeros shortened. Undefined when the text cannot be a
 * name: a bad escape, a lone surrogate, or more than MAX_CODE_POINTS left (read no further).
 */
function significantText(raw: string): string | undefined {
  const out: string[] = [];
  let labelLength = 0;
  // Zeros in the current label's leading run (after a "0x" prefix too); -1 once past it.
  let zeroRun = 0;
  const emit = (cp: number): boolean => {
    if (isIgnoredByIdna(cp)) return true;
    if (isLabelDot(cp)) {
      labelLength = 0;
      zeroRun = 0;
    } else if (zeroRun >= 0 && ZERO_LIKE.has(cp)) {
      if (zeroRun >= MAX_ZEROS) return true;
      zeroRun++;
      labelLength++;
    } else if (labelLength === 1 && zeroRun === 1 && X_LIKE.has(cp)) {
      zeroRun = 0;
      labelLength++;
    } else {
      zeroRun = -1;
      labelLength++;
    }
    out.push(String.fromCodePoint(cp));
    return out.length <= MAX_CODE_POINTS;
  };

  // UTF-8 decoding of percent-escaped bytes (the WHATWG Encoding standard's decoder, fatal).
  let need = 0;
  let cp = 0;
  let lower = 0x80;
  let upper = 0xbf;
  const byte = (b: number): boolean => {
    if (need === 0) {
      if (b < 0x80) return emit(b);
      if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; return true; }
      if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
        need = 2; cp = b & 0x0f; return true;
      }
      if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
        need = 3; cp = b & 0x07; return true;
      }
      return false;
    }
    if (b < lower || b > upper) return false;
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    return --need > 0 || emit(cp);
  };

  const n = raw.length;
  // The next index at or after i that is not TAB/LF/CR.
  const next = (i: number): number => {
    while (i < n && isTabOrNewline(raw.charCodeAt(i))) i++;
    return i;
  };
  for (let i = next(0); i < n; i = next(i + 1)) {
    const c = raw.charCodeAt(i);
    if (c === 37 /* % */) {
      const h = next(i + 1);
      const l = next(h + 1);
      const hi = hexDigit(raw.charCodeAt(h));
      const lo = hexDigit(raw.charCodeAt(l));
      // A "%" that starts no escape stays "%", which no name holds.
      if (hi < 0 || lo < 0 || !byte(hi * 16 + lo)) return undefined;
      i = l;
      continue;
    }
    // A literal character never completes an escaped sequence: its UTF-8 starts with a lead byte.
    if (need > 0) return undefined;
    if (c >= 0xd800 && c <= 0xdbff) {
      const j = next(i + 1);
      const d = raw.charCodeAt(j);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return undefined;
      if (!emit(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00))) return undefined;
      i = j;
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return undefined;
    if (!emit(c)) return undefined;
  }
  return need === 0 ? out.join('') : undefined;
}

/**
 * UTS #46 mapping of a name with non-ASCII code points, by Node's WHATWG implementation.
 * domainToASCII is the whole host parser: it would also turn a name that ends in a number
 * into an IPv4 address, so a last label "a" keeps the result a name, and the numeric forms
 * are judged below with the `numeric` rule.
 */
function mapNonAscii(text: string): string | undefined {
  const mapped = domainToASCII(`${text}.a`);
  return mapped.endsWith('.a') ? mapped.slice(0, -2) : undefined;
}

/** WHATWG's "ends in a number": the last label is decimal digits or 0x with hex digits. */
function endsInNumber(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  if (last === '') return false;
  let i = last.startsWith('0x') ? 2 : 0;
  const hex = i === 2;
  for (; i < last.length; i++) {
    const c = last.charCodeAt(i);
    if (hex ? hexDigit(c) < 0 : !(c >= 48 && c <= 57)) return false;
  }
  return true;
}

/** One part of a numeric IPv4 form: 0x hex (digits optional), 0-led octal, or decimal. Capped at 2^32. */
function ipv4Part(part: string): number | undefined {
  if (part === '') return undefined;
  let radix = 10;
  let i = 0;
  if (part.startsWith('0x')) { radix = 16; i = 2; } else if (part.length > 1 && part.startsWith('0')) { radix = 8; i = 1; }
  let value = 0;
  for (; i < part.length; i++) {
    const d = hexDigit(part.charCodeAt(i));
    if (d < 0 || d >= radix) return undefined;
    value = Math.min(value * radix + d, 2 ** 32);
  }
  return value;
}

const dottedQuad = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;

/**
 * Every IPv4 form inet_aton and WHATWG accept: 1 to 4 parts, the last filling the remaining
 * bytes (`134744072`, `8.8.2056`, `0x7f.1`, `010.010.010.010`). Under `dotted`, only four
 * parts or a 0x part: outside a host position, `1.2.3` and `8.8.2056` are versions.
 */
function parseIPv4(name: string, numeric: 'all' | 'dotted'): HostText | undefined {
  const parts = name.split('.');
  if (parts.length > 4) return undefined;
  if (numeric === 'dotted' && parts.length !== 4 && !parts.some((p) => p.startsWith('0x'))) return undefined;
  let value = 0;
  for (let i = 0; i < parts.length; i++) {
    const n = ipv4Part(parts[i]!);
    if (n === undefined) return undefined;
    if (i < parts.length - 1) {
      if (n > 255) return undefined;
      value += n * 256 ** (3 - i);
    } else {
      if (n >= 256 ** (5 - parts.length)) return undefined;
      value += n;
    }
  }
  return { host: dottedQuad(value), ip: 4 };
}

function parseName(text: string, numeric: 'all' | 'dotted'): HostText | undefined {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) ascii = false;
    // Other ASCII characters survive mapping unchanged and are no label character (and some,
    // ":" "/" "[", would make domainToASCII read a port, a path or an IPv6 literal).
    else if (NAME_ASCII[c] !== 1) return undefined;
  }
  let name = ascii ? text.toLowerCase() : mapNonAscii(text);
  if (name === undefined) return undefined;
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return undefined;
  // WHATWG reads a name that ends in a number as an IPv4 address or fails: never as a name.
  if (endsInNumber(name)) return parseIPv4(name, numeric);
  if (name.length > MAX_NAME) return undefined;
  let labelStart = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = name.charCodeAt(i);
    if (i === name.length || c === 46 /* . */) {
      if (i === labelStart || i - labelStart > MAX_LABEL) return undefined;
      labelStart = i + 1;
    } else if (!(c < 128 && LABEL_CHAR[c] === 1)) {
      return undefined;
    }
  }
  return { host: name };
}

/** Eight 16-bit pieces, or undefined. Hex groups of 1–4 digits, one "::", a dotted IPv4 last. */
function ipv6Pieces(s: string): number[] | undefined {
  const gap = s.indexOf('::');
  if (gap >= 0 && s.indexOf('::', gap + 1) >= 0) return undefined;
  const head = gap >= 0 ? s.slice(0, gap) : s;
  const tail = gap >= 0 ? s.slice(gap + 2) : '';
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const pieces: number[] = [];
  const groups = [...headGroups, ...tailGroups];
  if (groups.length > 8) return undefined;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    const last = g === groups.length - 1 && (gap < 0 || tailGroups.length > 0);
    if (last && group.includes('.')) {
      const v4 = strictDottedQuad(group);
      if (v4 === undefined) return undefined;
      pieces.push(v4 >>> 16, v4 & 0xffff);
      continue;
    }
    if (group.length === 0 || group.length > 4) return undefined;
    let piece = 0;
    for (let i = 0; i < group.length; i++) {
      const d = hexDigit(group.charCodeAt(i));
      if (d < 0) return undefined;
      piece = piece * 16 + d;
    }
    pieces.push(piece);
  }
  // "::" stands for at least one zero piece (WHATWG and inet_pton agree).
  if (gap < 0 ? pieces.length !== 8 : pieces.length > 7) return undefined;
  if (gap < 0) return pieces;
  const tailPieces = pieces.length - (headGroups.length);
  const head16 = pieces.slice(0, headGroups.length);
  const tail16 = pieces.slice(pieces.length - tailPieces);
  return [...head16, ...new Array<number>(8 - pieces.length).fill(0), ...tail16];
}

/** The IPv4 inside an IPv6 literal: four decimal parts, no leading zeros (WHATWG, inet_pton). */
function strictDottedQuad(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p.startsWith('0'))) return undefined;
    let n = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (!(c >= 48 && c <= 57)) return undefined;
      n = n * 10 + c - 48;
    }
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** RFC 5952 and WHATWG: lower-case hex, the first longest run of two or more zero pieces as "::". */
function serializeIPv6(p: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (p[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && p[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = (from: number, to: number): string => p.slice(from, to).map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** An IPv4 that a connection to this IPv6 address reaches: IPv4-mapped, or NAT64's well-known prefix. */
function reachedIPv4(p: readonly number[]): number | undefined {
  const zeros = (from: number, to: number): boolean => p.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && p[5] === 0xffff) return p[6]! * 65536 + p[7]!;
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return p[6]! * 65536 + p[7]!;
  return undefined;
}

/** An IPv4 written into the IPv6 forms nothing routes as IPv4 in a pod: IPv4-compatible (::a.b.c.d) and SIIT (::ffff:0:a.b.c.d). */
function embeddedIPv4(p: readonly number[]): number | undefined {
  if (!p.slice(0, 4).every((x) => x === 0)) return undefined;
  if ((p[4] === 0 && p[5] === 0) || (p[4] === 0xffff && p[5] === 0)) return p[6]! * 65536 + p[7]!;
  return undefined;
}

/** RFC 6874 ZoneID: unreserved characters and percent-escapes (the "%" itself may be written %25). */
function validZone(zone: string): boolean {
  if (zone === '') return false;
  for (let i = 0; i < zone.length; i++) {
    const c = zone.charCodeAt(i);
    if (c === 37 /* % */) {
      if (hexDigit(zone.charCodeAt(i + 1)) < 0 || hexDigit(zone.charCodeAt(i + 2)) < 0) return false;
      i += 2;
    } else if (!((c < 128 && LABEL_CHAR[c] === 1) || (c >= 65 && c <= 90) || c === 46 || c === 126)) {
      return false;
    }
  }
  return true;
}

function parseIPv6Text(raw: string): HostText | undefined {
  let s = '';
  let from = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i < raw.length && !isTabOrNewline(raw.charCodeAt(i))) continue;
    s += raw.slice(from, i);
    if (s.length > MAX_IPV6_TEXT) return undefined;
    from = i + 1;
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) return undefined;
    s = s.slice(1, -1);
  }
  const percent = s.indexOf('%');
  if (percent >= 0) {
    if (!validZone(s.slice(percent + 1))) return undefined;
    s = s.slice(0, percent);
  }
  const pieces = ipv6Pieces(s);
  if (!pieces) return undefined;
  const v4 = reachedIPv4(pieces);
  if (v4 !== undefined) return { host: dottedQuad(v4), ip: 4 };
  return { host: serializeIPv6(pieces), ip: 6 };
}

/**
 * `raw` is text in a host position (a URL's host, a DB_HOST value, a --host flag's value, nc's argument).
 * numeric: 'all' — every inet_aton / WHATWG IPv4 form counts (decimal 134744072, hex 0x8080808, octal 010.010.010.010, 1–4 parts, last part filling the rest);
 *          'dotted' — only four-part dotted forms and forms with a 0x part (outside a host position a 3-part "8.8.2056" is a version).
 * Returns undefined when the text cannot be a host (empty, over 253 chars after mapping, invalid label characters, a forbidden code point, a bare number when numeric is 'dotted', ...).
 */
export function parseHost(raw: string, numeric: 'all' | 'dotted'): HostText | undefined {
  let first = 0;
  while (first < raw.length && isTabOrNewline(raw.charCodeAt(first))) first++;
  // No name holds ":" (percent-decoded or not), so a colon means an IPv6 literal or nothing.
  // An IPv6 literal is never percent-decoded (WHATWG), which leaves its zone id as written.
  if (raw.charCodeAt(first) === 91 /* [ */ || raw.includes(':')) return parseIPv6Text(raw);
  const text = significantText(raw);
  return text === undefined ? undefined : parseName(text, numeric);
}

/** Cloud metadata services: the node's and the cloud account's credentials, one request away. */
export const METADATA_HOSTS: ReadonlySet<string> = new Set([
  // AWS: IMDS, ECS task metadata, EKS Pod Identity (the IPv6 forms on Nitro instances).
  '169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '169.254.170.23', 'fd00:ec2::23',
  'instance-data', 'instance-data.ec2.internal',
  // Google Cloud (fd20:ce::254 on IPv6-only instances); GKE pods resolve the single label.
  'metadata', 'metadata.google.internal', 'metadata.goog', 'fd20:ce::254',
  'metadata.azure.com',
  // Alibaba Cloud (inside 100.64.0.0/10), Tencent Cloud (169.254.0.23 is what its name resolves to).
  '100.100.100.200', 'metadata.tencentyun.com', '169.254.0.23',
  // Oracle Cloud (fd00:c1::a9fe:a9fe over IPv6; 192.0.0.192 on Classic).
  'metadata.oraclecloud.com', 'fd00:c1::a9fe:a9fe', '192.0.0.192',
  // OpenStack and Akamai/Linode over IPv6 (link-local, so internal unless listed here).
  'fe80::a9fe:a9fe', 'fd00:a9fe:a9fe::1',
  // Scaleway.
  '169.254.42.42', 'fd00:42::42',
  'metadata.platformequinix.com', 'metadata.packet.net',
]);

/** Cloud metadata services in every form: the names and addresses above, and an IPv6 literal that embeds one of the IPv4 addresses. Takes a parsed HostText. */
/** Metadata services reached by a single label (GKE's `metadata`, EC2's `instance-data`). */
export const METADATA_LABELS: ReadonlySet<string> = new Set([...METADATA_HOSTS].filter((h) => !h.includes('.') && !h.includes(':')));

/**
 * A cheap test before a text is parsed as a host: could it be anything but a single label (a
 * Service name, always inside the cluster)? Yes when it holds a dot, a colon, a `%`, a `$`, a
 * bracket, a TAB/LF/CR or a non-ASCII character; when it is a one-part numeric address (hex
 * always, decimal under `numeric: 'all'`); or when it is a metadata service's single label.
 */
export function mayNameAPlace(raw: string, numeric: 'all' | 'dotted'): boolean {
  if (raw === '') return false;
  let digits = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 46 || c === 58 || c === 37 || c === 36 || c === 91 || c >= 128 || c === 9 || c === 10 || c === 13) return true;
    if (c < 48 || c > 57) digits = false;
  }
  if ((digits && numeric === 'all') || raw.startsWith('0x') || raw.startsWith('0X')) return true;
  return METADATA_LABELS.has(raw.toLowerCase());
}

export function isMetadataHost(h: HostText): boolean {
  if (METADATA_HOSTS.has(h.host)) return true;
  if (h.ip !== 6) return false;
  const pieces = ipv6Pieces(h.host);
  const v4 = pieces && embeddedIPv4(pieces);
  return v4 !== undefined && METADATA_HOSTS.has(dottedQuad(v4));
}
