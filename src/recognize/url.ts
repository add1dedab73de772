// URL authorities in free text (env values, command lines, scripts), read for their hosts.
//
// A text is read twice when the readings can differ, and a host either one finds is returned:
// - as WHATWG reads a URL value: TAB, LF and CR are removed (`https://ex\tfil.com/` is
//   exfil.com), and quotes, `<`, `>` and the like are userinfo characters
//   (`http://declared.com"@evil.com/` is evil.com to Node and to Python's urlsplit);
// - as text: the same characters end the URL (a script's next line, a JSON string's closing
//   quote: `{"url":"https://a.com","to":"x@y.com"}` names a.com).
// Both readings end an authority at a space: WHATWG would take `http://a.com @b.com/` as a
// whole value to be b.com, but in a script the space separates words, and reading across it
// turned `curl http://a.com -d to=x@y.com` into a host y.com.
//
// Userinfo (up to the last "@" of the authority) is skipped and never returned. Where one
// reading's host could be another reading's userinfo (the authority ends at a quote, TAB, CR
// or space and an "@" follows before the next "/", "?", "#" or line end), the host is kept
// only when it is a dotted name or an address, and its port is dropped: a password never
// leaks as a "port".
//
// Linear time: each ":" costs the scheme characters before it, which no other ":" shares;
// authorities are cut into segments scanned once per reading and kind of scheme; and a host
// is read only past every host read before it (`covered`), so a list of `http:80,http:80,…`
// is read once, not once per scheme.

import { isTabOrNewline, mayNameAPlace, parseHost } from './host-text.ts';

export interface UrlHost {
  /** Host text as written (before parseHost): a name, an address, a bracketed IPv6 literal; may hold TAB/LF/CR (WHATWG drops them), `%` escapes and `$NAME` references. */
  host: string;
  port?: number;
  /** Start/end offsets of the whole authority (userinfo, hosts and ports) in the input. */
  start: number;
  end: number;
  hasUserinfo: boolean;
  /** The scheme, lower case; absent for a scheme-relative `//host`. */
  scheme?: string;
}

/** The two readings (see above). */
const TEXT = 0;
const WHATWG = 1;
type Reading = typeof TEXT | typeof WHATWG;
/** How an authority ends: special schemes also at "\", sqlserver also at ";key=" (JDBC properties). */
const SPECIAL_KIND = 0;
const OTHER_KIND = 1;
const SQLSERVER_KIND = 2;
type Kind = typeof SPECIAL_KIND | typeof OTHER_KIND | typeof SQLSERVER_KIND;

function asciiTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  return t;
}
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SCHEME_CHAR = asciiTable(`${LETTERS}0123456789+-.`);
/** What a host as written may hold: name characters, escapes, `$NAME`; anything non-ASCII but a space. */
const HOST_CHAR = asciiTable(`${LETTERS}0123456789-._%$`);
/** Inside brackets: hex, ":" and "." for the address, unreserved characters and "%" for a zone id. */
const BRACKET_CHAR = asciiTable(`${LETTERS}0123456789:.%-_~`);
/** WHATWG's ends of an authority (and "\" for special schemes). */
const AUTHORITY_END = asciiTable('/?#');
/** Where text ends a URL in both readings: spaces and the other controls. */
const BREAK = new Uint8Array(128);
for (let c = 0; c <= 32; c++) if (!isTabOrNewline(c)) BREAK[c] = 1;
BREAK[127] = 1;
/** Where the text reading also ends it: line breaks, tabs, and what quotes or delimits a URL in prose and data. */
const TEXT_BREAK = asciiTable('\t\n\r"\'`<>{}|^');

const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** Unicode spaces. None is a host character (IDNA maps them to a space or rejects them); U+FEFF is not here, IDNA ignores it. */
const isUnicodeSpace = (c: number): boolean =>
  c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;

const SPECIAL = new Set(['http', 'https', 'ws', 'wss', 'ftp']);
const MAX_PROPERTY_NAME = 64;

interface Segment { start: number; end: number; lastAt: number; ambiguous: boolean }

class Reader {
  readonly out: UrlHost[] = [];
  /** Everything before this offset has been read as userinfo or a host. */
  private covered = 0;
  private readonly segments: (Segment | undefined)[] = [undefined, undefined, undefined];
  /** Per kind: the first "@" or authority end at or after `from` (see ambiguous). */
  private readonly lookahead: { from: number; at: number }[] = [{ from: -1, at: -1 }, { from: -1, at: -1 }, { from: -1, at: -1 }];

  private readonly text: string;
  private readonly reading: Reading;
  private readonly placesOnly: boolean;

  constructor(text: string, reading: Reading, placesOnly: boolean) {
    this.text = text;
    this.reading = reading;
    this.placesOnly = placesOnly;
  }

  private skips(c: number): boolean {
    return this.reading === WHATWG && isTabOrNewline(c);
  }

  /** The next index at or after i whose character the reading does not skip. */
  private next(i: number): number {
    while (i < this.text.length && this.skips(this.text.charCodeAt(i))) i++;
    return i;
  }

  private endsAuthority(c: number, i: number, kind: Kind): boolean {
    if (c >= 128) return isUnicodeSpace(c);
    if (AUTHORITY_END[c] === 1 || BREAK[c] === 1) return true;
    if (this.reading === TEXT && TEXT_BREAK[c] === 1) return true;
    if (c === 92 /* \ */) return kind === SPECIAL_KIND;
    return c === 59 /* ; */ && kind === SQLSERVER_KIND && this.propertyAt(i + 1);
  }

  /** `name=` at i: a JDBC property, so the ";" before it ended `jdbc:sqlserver://host:port`. */
  private propertyAt(i: number): boolean {
    const t = this.text;
    if (!isLetter(t.charCodeAt(i))) return false;
    for (let j = i + 1; j < t.length && j - i <= MAX_PROPERTY_NAME; j++) {
      const c = t.charCodeAt(j);
      if (c === 61 /* = */) return true;
      if (!(isLetter(c) || isDigit(c))) return false;
    }
    return false;
  }

  /** The authority segment from a (shared by every URL of this kind that starts inside it). */
  private segment(a: number, kind: Kind): Segment {
    const cached = this.segments[kind];
    if (cached && a >= cached.start && a < cached.end) return cached;
    const t = this.text;
    let lastAt = -1;
    let end = a;
    for (; end < t.length; end++) {
      const c = t.charCodeAt(end);
      if (c === 64 /* @ */) lastAt = end;
      else if (this.endsAuthority(c, end, kind)) break;
    }
    const seg = { start: a, end, lastAt, ambiguous: this.ambiguousEnd(end, kind) };
    this.segments[kind] = seg;
    return seg;
  }

  /**
   * An authority that ends at a space, a quote or a TAB/CR but has an "@" after it before the
   * next "/", "?", "#" (or "\") or line end: to WHATWG, reading the whole value, it was userinfo.
   * A line end stops the search: in a script the next line is another command, and a URL at
   * the end of a line keeps its port.
   */
  private ambiguousEnd(end: number, kind: Kind): boolean {
    const t = this.text;
    if (end >= t.length) return false;
    const c = t.charCodeAt(end);
    // JDBC properties after ";" are the driver's grammar, not a break in the text.
    if (c === 10 || (c < 128 && AUTHORITY_END[c] === 1) || (c === 92 && kind === SPECIAL_KIND) || (c === 59 && kind === SQLSERVER_KIND)) return false;
    const memo = this.lookahead[kind]!;
    if (!(end >= memo.from && end <= memo.at)) {
      let i = end;
      for (; i < t.length; i++) {
        const d = t.charCodeAt(i);
        if (d === 64 || d === 10 || (d < 128 && AUTHORITY_END[d] === 1) || (d === 92 && kind === SPECIAL_KIND)) break;
      }
      memo.from = end;
      memo.at = i;
    }
    return t.charCodeAt(memo.at) === 64;
  }

  /** The scheme whose ":" is at `colon`: the run of scheme characters before it, from its first letter. */
  private schemeBefore(colon: number): string | undefined {
    const t = this.text;
    let i = colon;
    let letter = -1;
    while (i > 0) {
      const c = t.charCodeAt(i - 1);
      if (c < 128 && SCHEME_CHAR[c] === 1) {
        i--;
        if (isLetter(c)) letter = i;
      } else if (this.skips(c)) {
        i--;
      } else {
        break;
      }
    }
    if (letter < 0) return undefined;
    if (this.reading === TEXT) return t.slice(letter, colon).toLowerCase();
    let name = '';
    for (let j = letter; j < colon; j++) {
      const c = t.charCodeAt(j);
      if (!this.skips(c)) name += String.fromCharCode(c);
    }
    return name.toLowerCase();
  }

  /** The URL whose scheme ends with the ":" at `colon`, if one starts there. */
  url(colon: number): void {
    const scheme = this.schemeBefore(colon);
    if (scheme === undefined) return;
    const t = this.text;
    let a = this.next(colon + 1);
    const special = SPECIAL.has(scheme) || scheme === 'file';
    if (special) {
      // Special schemes take any run of "/" and "\", or none (`http:evil.com`); file: has a
      // host only after exactly two (`file:///x` has none).
      let slashes = 0;
      for (let c = t.charCodeAt(a); c === 47 || c === 92; c = t.charCodeAt(a)) {
        slashes++;
        a = this.next(a + 1);
      }
      if (scheme === 'file' && slashes !== 2) return;
    } else {
      if (t.charCodeAt(a) !== 47) return;
      a = this.next(a + 1);
      if (t.charCodeAt(a) !== 47) return;
      a += 1;
    }
    this.authority(a, special ? SPECIAL_KIND : scheme === 'sqlserver' ? SQLSERVER_KIND : OTHER_KIND, scheme);
  }

  /** A value that starts with `//` (or `\\`, as a special base URL reads it). */
  schemeRelative(): void {
    const t = this.text;
    let i = 0;
    // WHATWG trims leading C0 controls and spaces.
    while (i < t.length && t.charCodeAt(i) <= 32) i++;
    let slashes = 0;
    for (let c = t.charCodeAt(i); c === 47 || c === 92; c = t.charCodeAt(i)) {
      slashes++;
      i = this.next(i + 1);
    }
    if (slashes >= 2) this.authority(i, SPECIAL_KIND, undefined);
  }

  private authority(a: number, kind: Kind, scheme: string | undefined): void {
    const seg = this.segment(a, kind);
    const lastAt = seg.lastAt >= a ? seg.lastAt : -1;
    const hostStart = lastAt >= 0 ? lastAt + 1 : a;
    if (hostStart < this.covered) return;
    this.covered = hostStart;
    const t = this.text;
    // A host list (mongodb://h1:27017,h2:27017, postgres://h1,h2): host[:port], comma-separated.
    for (let p = this.next(hostStart), first = true; ; first = false) {
      const hs = p;
      if (t.charCodeAt(p) === 91 /* [ */) {
        p++;
        while (p < seg.end && (BRACKET_CHAR[t.charCodeAt(p)] === 1 || this.skips(t.charCodeAt(p)))) p++;
        if (t.charCodeAt(p) !== 93 /* ] */ || p >= seg.end) { this.covered = Math.max(this.covered, p); return; }
        p++;
      } else {
        while (p < seg.end && this.isHostChar(t.charCodeAt(p))) p++;
      }
      const he = p;
      let port: number | undefined;
      p = this.next(p);
      if (!first && p < seg.end && t.charCodeAt(p) === 58 /* : */ && this.startsUrl(hs, he, p)) {
        // `https://a:9200,https://b:9200`: the next item is the next URL, read from its own ":".
        // (The first item is a host whatever follows: `http://a://` is a with an empty port.)
        this.covered = Math.max(this.covered, he);
        return;
      }
      if (p < seg.end && t.charCodeAt(p) === 58 /* : */) {
        let q = this.next(p + 1);
        let value = 0;
        let digits = 0;
        for (; q < seg.end && isDigit(t.charCodeAt(q)); q = this.next(q + 1)) {
          value = Math.min(value * 10 + t.charCodeAt(q) - 48, 65536);
          digits++;
        }
        // `:80x` is no port; the host is still one (curl, Go and WHATWG all stop there).
        const after = t.charCodeAt(q);
        if (digits > 0 && value <= 65535 && !(q < seg.end && this.isHostChar(after))) port = value;
        p = q;
      } else {
        p = he;
      }
      this.covered = Math.max(this.covered, p);
      if (he > hs) this.add(t.slice(hs, he), port, a, seg, lastAt >= 0, scheme);
      const comma = this.next(p);
      if (!(comma < seg.end && t.charCodeAt(comma) === 44 /* , */)) return;
      p = this.next(comma + 1);
    }
  }

  /**
   * The item [hs, he) with its ":" at `colon` is the next URL's scheme: a special one, or a
   * dotless word before "://" (`http://a.com:/` is a.com with an empty port).
   */
  private startsUrl(hs: number, he: number, colon: number): boolean {
    const item = this.text.slice(hs, he);
    const name = item.toLowerCase();
    if (SPECIAL.has(name) || name === 'file') return true;
    if (item.includes('.')) return false;
    const slash = this.next(colon + 1);
    return this.text.charCodeAt(slash) === 47 && this.text.charCodeAt(this.next(slash + 1)) === 47;
  }

  private isHostChar(c: number): boolean {
    if (c >= 128) return !isUnicodeSpace(c);
    return HOST_CHAR[c] === 1 || this.skips(c);
  }

  private add(host: string, port: number | undefined, start: number, seg: Segment, hasUserinfo: boolean, scheme: string | undefined): void {
    if (this.placesOnly && !mayNameAPlace(host, 'all')) return;
    if (seg.ambiguous) {
      if (!plausibleHost(host)) return;
      port = undefined;
    }
    const u: UrlHost = { host, start, end: seg.end, hasUserinfo };
    if (port !== undefined) u.port = port;
    if (scheme !== undefined) u.scheme = scheme;
    this.out.push(u);
  }
}

/**
 * A dotted name or an address: what a host is far more often than a user name is. A `$NAME`
 * or an opaque run-time part (U+E000, see objects/expand.ts) stands for a label here.
 */
function plausibleHost(host: string): boolean {
  let named = '';
  for (const ch of host) named += ch === '$' || ch === '\uE000' ? 'x' : ch;
  const h = parseHost(named, 'all');
  return h !== undefined && (h.ip !== undefined || h.host.includes('.'));
}

function read(text: string, reading: Reading, schemeRelative: boolean, placesOnly: boolean): UrlHost[] {
  const r = new Reader(text, reading, placesOnly);
  if (schemeRelative) r.schemeRelative();
  for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon + 1)) r.url(colon);
  return r.out;
}

/** The readings differ only when the text holds a character one skips or breaks at and the other does not. */
function readingsDiffer(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && TEXT_BREAK[c] === 1) return true;
  }
  return false;
}

/**
 * With `placesOnly`, hosts no rule could judge (single labels other than metadata services) are
 * left out, and so are their spans.
 * Every URL authority in a text: `scheme://…` of any scheme (letters, digits, + - .), special schemes without slashes or with backslashes (`http:evil.com`, `http:\\evil.com`), and, when `schemeRelative` is true, a leading `//host` (the value starts with `//`).
 * Linear time; userinfo (up to the LAST `@` of the authority, WHATWG) is skipped, never returned. TAB/LF/CR inside the URL are ignored as WHATWG does (`https://ex\tfil.com/` is exfil.com).
 * Results are ordered by `start`; a host list gives one result per host, and two readings of one authority may give two.
 */
export function urlHosts(text: string, opts?: { schemeRelative?: boolean; placesOnly?: boolean }): UrlHost[] {
  const schemeRelative = opts?.schemeRelative === true;
  const placesOnly = opts?.placesOnly === true;
  const asText = read(text, TEXT, schemeRelative, placesOnly);
  if (!readingsDiffer(text)) return asText;
  const asWhatwg = read(text, WHATWG, schemeRelative, placesOnly);
  const seen = new Set(asText.map(key));
  const all = [...asText, ...asWhatwg.filter((u) => !seen.has(key(u)))];
  return all.sort((x, y) => x.start - y.start || x.end - y.end);
}

const key = (u: UrlHost): string => `${u.start}\u0000${u.port ?? ''}\u0000${u.host}`;
