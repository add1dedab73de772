import { expect } from 'chai';
import fc from 'fast-check';
import { domainToASCII } from 'node:url';
import { isIgnoredByIdna, isMetadataHost, METADATA_HOSTS, parseHost, X_LIKE, ZERO_LIKE, type HostText } from '../../src/recognize/host-text.ts';
import { fuzzParams } from '../helpers/fuzz.ts';

const name = (host: string): HostText => ({ host });
const v4 = (host: string): HostText => ({ host, ip: 4 });
const v6 = (host: string): HostText => ({ host, ip: 6 });

interface Opts {
  numeric?: 'all' | 'dotted';
  /** Why WHATWG (`new URL('http://' + raw + '/')`) answers otherwise; absent: it must agree. */
  notWhatwg?: string;
}
type Row = [why: string, raw: string, want: HostText | undefined, opts?: Opts];

const LABEL63 = 'a'.repeat(63);
const NAME253 = `${LABEL63}.${LABEL63}.${LABEL63}.${'a'.repeat(61)}`;
const DNS = { notWhatwg: 'WHATWG does not apply DNS length and empty-label limits; resolvers do' };
const LDH = { notWhatwg: 'WHATWG takes any non-forbidden ASCII; only musl resolves it (see host-text.ts)' };
const ZONE = { notWhatwg: 'WHATWG rejects zone ids; curl, Go and getaddrinfo take them' };
const BARE6 = { notWhatwg: 'WHATWG needs brackets around IPv6 in a URL; a --host value has none' };
const DOTTED = { numeric: 'dotted' as const };

const rows: Row[] = [
  // Names.
  ['a plain name', 'db.example.com', name('db.example.com')],
  ['an underscore (WHATWG, Go, glibc and musl resolve it)', 'x_y.attacker.com', name('x_y.attacker.com')],
  ['an underscore label first', '_dmarc.example.com', name('_dmarc.example.com')],
  ['upper case is folded', 'Exfil.com', name('exfil.com')],
  ['all upper case', 'EXFIL.COM', name('exfil.com')],
  ['a percent-encoded letter', '%65vil.com', name('evil.com')],
  ['a percent-encoded capital', '%45VIL.com', name('evil.com')],
  ['a percent-encoded dot', 'a%2eb.com', name('a.b.com')],
  ['an ideographic full stop', 'evil\u3002com', name('evil.com')],
  ['a fullwidth full stop', 'evil\uff0ecom', name('evil.com')],
  ['a halfwidth ideographic full stop', 'evil\uff61com', name('evil.com')],
  ['an IDN', 'ex\u00e4mple.com', name('xn--exmple-cua.com')],
  ['an IDN percent-encoded as UTF-8', 'ex%C3%A4mple.com', name('xn--exmple-cua.com')],
  ['a Cyrillic homoglyph', '\u0435vil.com', name('xn--vil-qdd.com')],
  ['sharp s is kept (non-transitional)', '\u00df.com', name('xn--zca.com')],
  ['fullwidth letters', '\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.com', name('example.com')],
  ['a soft hyphen is ignored', 'ev\u00adil.com', name('evil.com')],
  ['a zero-width space is ignored', 'e\u200bvil.com', name('evil.com')],
  ['a percent-encoded soft hyphen', 'ev%C2%ADil.com', name('evil.com')],
  ['a trailing dot', 'db.example.com.', name('db.example.com')],
  ['a TAB inside', 'ex\tfil.com', name('exfil.com')],
  ['a LF inside', 'ex\nfil.com', name('exfil.com')],
  ['CR LF inside', 'ex\r\nfil.com', name('exfil.com')],
  ['a TAB inside a percent-escape', '%4\t1.com', name('a.com')],
  ['a single label', 'metadata', name('metadata')],
  ['an xn-- label as written (curl, Go and glibc do not check it)', 'xn--a.com', name('xn--a.com')],
  ['hyphens at label edges (WHATWG, glibc and musl take them)', '-a-.com', name('-a-.com')],
  ['a 63-character label', `${LABEL63}.com`, name(`${LABEL63}.com`)],
  ['a 253-character name', NAME253, name(NAME253)],
  ['a 253-character name and its dot', `${NAME253}.`, name(NAME253)],
  ['a version under numeric all is a name when its last label is not a number', '1.2.3a', name('1.2.3a')],

  // Not names.
  ['empty', '', undefined],
  ['only TAB/LF/CR', '\t\n\r', undefined],
  ['an empty label', 'a..b', undefined, DNS],
  ['a leading dot', '.a.com', undefined, DNS],
  ['two trailing dots', 'a.com..', undefined, DNS],
  ['a lone dot', '.', undefined, DNS],
  ['a 64-character label', `a${LABEL63}.com`, undefined, DNS],
  ['a 254-character name', `a${NAME253}`, undefined, DNS],
  ['a space inside', 'exa mple.com', undefined],
  ['a leading space', ' db.example.com', undefined],
  ['a "!"', 'a!b.com', undefined, LDH],
  ['a "*" (a NO_PROXY pattern)', '*.example.com', undefined, LDH],
  ['a "$"', 'a$b.com', undefined, LDH],
  ['a bad escape', 'a%zz.com', undefined],
  ['a truncated UTF-8 escape', '%C3.com', undefined],
  ['an escape at the end', 'a.com%', undefined],
  ['an overlong UTF-8 escape', '%C1%81.com', undefined],
  ['an escaped UTF-16 surrogate', '%ED%A0%80.com', undefined],
  ['an escaped NUL', '%00a.com', undefined],
  ['an escaped slash', 'a%2fb.com', undefined],
  ['an escaped TAB (only literal ones are removed)', 'a%09b.com', undefined],
  ['a zero-width joiner out of context', 'e\u200dvil.com', undefined],
  ['a lone surrogate', 'ab\ud800c.com', undefined],
  ['a private-use character (OPAQUE)', '\ue000.com', undefined],
  ['a host and port', 'db.example.com:5432', undefined, { notWhatwg: 'a port is not part of the host' }],
  ['brackets around an IPv4', '[1.2.3.4]', undefined],
  ['an unclosed bracket', '[::1', undefined],

  // Numeric IPv4, every form (numeric: 'all').
  ['dotted decimal', '8.8.8.8', v4('8.8.8.8')],
  ['one decimal number', '134744072', v4('8.8.8.8')],
  ['one hex number', '0x8080808', v4('8.8.8.8')],
  ['upper-case 0X', '0X8080808', v4('8.8.8.8')],
  ['dotted octal', '010.010.010.010', v4('8.8.8.8')],
  ['dotted hex', '0x8.0x8.0x8.0x8', v4('8.8.8.8')],
  ['three parts', '8.8.2056', v4('8.8.8.8')],
  ['two parts', '8.526344', v4('8.8.8.8')],
  ['hex and a tail', '0x7f.1', v4('127.0.0.1')],
  ['upper-case hex and a tail', '0X7F.1', v4('127.0.0.1')],
  ['a loopback shorthand', '127.1', v4('127.0.0.1')],
  ['a version read as an address in a host position', '1.2.3', v4('1.2.0.3')],
  ['a bare 0x', '0x', v4('0.0.0.0')],
  ['the largest number', '4294967295', v4('255.255.255.255')],
  ['a trailing dot', '8.8.8.8.', v4('8.8.8.8')],
  ['a percent-encoded digit', '%38.8.8.8', v4('8.8.8.8')],
  ['fullwidth digits', '\uff18.\uff18.\uff18.\uff18', v4('8.8.8.8')],
  ['long zero padding', `${'0'.repeat(300)}10.010.010.010`, v4('8.8.8.8')],
  ['zero padding after 0x', `0x${'0'.repeat(300)}a9fea9fe`, v4('169.254.169.254')],
  ['five parts', '1.2.3.4.5', undefined],
  ['a part over 255', '256.1.1.1', undefined],
  ['a number over 32 bits', '4294967296', undefined],
  ['a hex number over 32 bits', '0x100000000', undefined],
  ['an 8 in octal', '09.1.1.1', undefined],
  ['an 8 in a last octal part', '0.0.0.08', undefined],
  ['a name ending in a number', 'a.1', undefined],
  ['a name ending in a 0x', 'a.0x', undefined],
  ['a bad hex digit makes it a name', 'a.0xg', name('a.0xg')],

  // numeric: 'dotted' (outside a host position).
  ['dotted decimal, dotted', '8.8.8.8', v4('8.8.8.8'), DOTTED],
  ['dotted octal, dotted', '010.010.010.010', v4('8.8.8.8'), DOTTED],
  ['a 0x number, dotted', '0x8080808', v4('8.8.8.8'), DOTTED],
  ['a 0x part and a tail, dotted', '0x7f.1', v4('127.0.0.1'), DOTTED],
  ['four parts and a dot, dotted', '8.8.8.8.', v4('8.8.8.8'), DOTTED],
  ['a version, dotted', '1.2.3', undefined, DOTTED],
  ['three parts, dotted', '8.8.2056', undefined, DOTTED],
  ['two parts, dotted', '127.1', undefined, DOTTED],
  ['a bare number, dotted', '134744072', undefined, DOTTED],
  ['a port number, dotted', '8080', undefined, DOTTED],
  ['a name, dotted', 'db.example.com', name('db.example.com'), DOTTED],
  ['an IPv6, dotted', '[::1]', v6('::1'), DOTTED],

  // IPv6.
  ['loopback', '[::1]', v6('::1')],
  ['unspecified', '[::]', v6('::')],
  ['bare loopback', '::1', v6('::1'), BARE6],
  ['a public address', '[2001:4860:4860::8888]', v6('2001:4860:4860::8888')],
  ['no compression written', '[2001:4860:4860:0:0:0:0:8888]', v6('2001:4860:4860::8888')],
  ['upper case', '[2001:DB8::1]', v6('2001:db8::1')],
  ['leading zeros in groups', '[2001:0db8:0000::0001]', v6('2001:db8::1')],
  ['the longest zero run is compressed', '[1:0:0:2:0:0:0:3]', v6('1:0:0:2::3')],
  ['the first of equal runs', '[1:0:0:2:0:0:3:4]', v6('1::2:0:0:3:4')],
  ['a single zero is not compressed', '[1:0:3:4:5:6:7:8]', v6('1:0:3:4:5:6:7:8')],
  ['"::" for one zero group', '[1:2:3:4:5:6::8]', v6('1:2:3:4:5:6:0:8')],
  ['a zone id, URL-encoded', '[fe80::1%25eth0]', v6('fe80::1'), ZONE],
  ['a zone id', '[fe80::1%eth0]', v6('fe80::1'), ZONE],
  ['a bare zone id', 'fe80::1%eth0', v6('fe80::1'), { ...BARE6, ...ZONE }],
  ['a numeric zone id', 'fe80::1%2', v6('fe80::1'), BARE6],
  ['TAB inside brackets', '[::\t1]', v6('::1')],
  ['IPv4-mapped, dotted', '[::ffff:169.254.169.254]', v4('169.254.169.254')],
  ['IPv4-mapped, hex', '[::ffff:a9fe:a9fe]', v4('169.254.169.254')],
  ['IPv4-mapped loopback, bare', '::ffff:7f00:1', v4('127.0.0.1'), BARE6],
  ['IPv4-mapped public', '[::ffff:8.8.8.8]', v4('8.8.8.8')],
  ['IPv4-mapped, written out', '[0:0:0:0:0:ffff:7f00:1]', v4('127.0.0.1')],
  ['NAT64 well-known prefix', '[64:ff9b::8.8.8.8]', v4('8.8.8.8')],
  ['NAT64, hex', '[64:ff9b::a9fe:a9fe]', v4('169.254.169.254')],
  ['IPv4-compatible stays IPv6', '[::169.254.169.254]', v6('::a9fe:a9fe')],
  ['IPv4-compatible ::1.2.3.4', '[::1.2.3.4]', v6('::102:304')],
  ['SIIT stays IPv6', '[::ffff:0:169.254.169.254]', v6('::ffff:0:a9fe:a9fe')],
  ['two "::"', '1::2::3', undefined],
  ['":::"', '[1:::2]', undefined],
  ['"::" with eight groups', '[1:2:3:4:5:6:7::8]', undefined],
  ['seven groups', '[1:2:3:4:5:6:7]', undefined],
  ['nine groups', '[1:2:3:4:5:6:7:8:9]', undefined],
  ['a five-digit group', '[12345::]', undefined],
  ['a leading zero in the embedded IPv4', '[::01.2.3.4]', undefined],
  ['a three-part embedded IPv4', '[::1.2.3]', undefined],
  ['an embedded IPv4 not last', '[::1.2.3.4:1]', undefined],
  ['a leading single colon', '[:1::]', undefined],
  ['an empty zone', '[fe80::1%]', undefined],
  ['a zone with a space', '[fe80::1%eth 0]', undefined],
  ['a colon in a name', 'a:b', undefined],
];

/** WHATWG's answer normalised as parseHost's: brackets and a trailing dot dropped, IPv4-mapped and NAT64 as IPv4. */
function whatwgHost(raw: string): string | undefined {
  let h: string;
  try { h = new URL(`http://${raw}/`).hostname; } catch { return undefined; }
  if (h.startsWith('[')) {
    const inner = h.slice(1, -1);
    const m = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(inner);
    if (!m) return inner;
    const n = Number.parseInt(m[1]!, 16) * 65536 + Number.parseInt(m[2]!, 16);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

describe('parseHost', () => {
  for (const [why, raw, want, opts] of rows) {
    it(`${why}: ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 40)}…` : raw)} → ${want ? want.host : 'not a host'}`, () => {
      expect(parseHost(raw, opts?.numeric ?? 'all')).to.deep.equal(want);
    });
  }

  describe('agrees with WHATWG (new URL) wherever the row does not say why not', () => {
    for (const [why, raw, want, opts] of rows) {
      if (opts?.notWhatwg || opts?.numeric === 'dotted') continue;
      it(why, () => expect(whatwgHost(raw)).to.equal(want?.host));
    }
  });

  describe('reads any input in linear time and bounded memory', function () {
    this.timeout(20_000);
    const MB2 = 2 * 1024 * 1024;
    const big: [string, string, HostText | undefined][] = [
      ['%41 repeated', '%41'.repeat(MB2 / 3), undefined],
      ['dots', '.'.repeat(MB2), undefined],
      ['"[" repeated', '['.repeat(MB2), undefined],
      ['"::" repeated', '::'.repeat(MB2 / 2), undefined],
      ['a bracketed "::" run', `[${'::'.repeat(MB2 / 2)}]`, undefined],
      ['letters', 'a'.repeat(MB2), undefined],
      ['labels', 'a.'.repeat(MB2 / 2), undefined],
      ['an escape per character, then a bad one', `${'%C3%A4'.repeat(MB2 / 6)}%`, undefined],
      ['TAB/LF/CR', '\t\n\r'.repeat(MB2 / 3), undefined],
      ['TAB/LF/CR around a name', `${'\t'.repeat(MB2)}evil.com${'\n'.repeat(MB2)}`, name('evil.com')],
      ['soft hyphens padding a name (IDNA ignores them)', `${'\u00ad'.repeat(MB2)}evil.com`, name('evil.com')],
      ['escaped soft hyphens padding a name', `ev${'%C2%AD'.repeat(MB2 / 6)}il.com`, name('evil.com')],
      ['zeros padding the metadata address', `${'0'.repeat(MB2)}251.0376.0251.0376`, v4('169.254.169.254')],
      ['fullwidth zeros padding it', `\uff10\uff58${'\uff10'.repeat(MB2)}a9fea9fe`, v4('169.254.169.254')],
      ['zeros that are not a number', `${'0'.repeat(MB2)}.com`, undefined],
      ['surrogate pairs', '\ud83d\ude00'.repeat(MB2 / 2), undefined],
    ];
    for (const [why, raw, want] of big) {
      it(why, () => {
        expect(parseHost(raw, 'all')).to.deep.equal(want);
        expect(parseHost(raw, 'dotted')).to.deep.equal(want);
      });
    }
  });

  describe('the IDNA facts it relies on are Node\'s', function () {
    this.timeout(30_000);
    it('isIgnoredByIdna, ZERO_LIKE and X_LIKE are exactly what domainToASCII maps to nothing, "0" and "x"', () => {
      const wrong: string[] = [];
      for (let cp = 0x80; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const mapped = domainToASCII(`a${String.fromCodePoint(cp)}b.com`);
        if ((mapped === 'ab.com') !== isIgnoredByIdna(cp)) wrong.push(`ignored U+${cp.toString(16)}`);
        if ((mapped === 'a0b.com') !== ZERO_LIKE.has(cp)) wrong.push(`zero U+${cp.toString(16)}`);
        if ((mapped === 'axb.com') !== X_LIKE.has(cp)) wrong.push(`x U+${cp.toString(16)}`);
      }
      expect(wrong).to.deep.equal([]);
    });
  });

  describe('property: agrees with WHATWG on what it takes', () => {
    const TOKENS = [
      'a', 'b', 'e', 'f', 'x', 'X', 'E', 'z', '0', '1', '7', '8', '9', '.', '.', '-', '_', '0x', 'xn--',
      '%41', '%2e', '%30', '%C3%A4', '%C2%AD', '%', '\t', '\n', '\u00e4', '\u00df', '\u3002', '\uff0e', '\u00ad', '\u200b',
      '\uff10', '\uff58', '\uff21', '\u0435', '\u03c2', '!', '$', '*', ' ', '\u200d',
    ];
    const hostish = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(''));
    const numericish = fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.nat().map(String), fc.nat().map((n) => `0x${n.toString(16)}`));
    const bracketed = fc.ipV6().map((a) => `[${a}]`);
    const any = fc.oneof(hostish, numericish, bracketed);
    /** What parseHost deliberately refuses although WHATWG takes it (see host-text.ts). */
    const refusedOnPurpose = (h: string): boolean =>
      h.length > 253 || h.split('.').some((l) => l === '' || l.length > 63 || /[^a-z0-9_-]/.test(l));

    it('for any s where new URL("http://" + s + "/") has a host, parseHost(s) is that host or a deliberate refusal', () => {
      fc.assert(fc.property(any, (s) => {
        const want = whatwgHost(s);
        if (want === undefined || want === '') return;
        const got = parseHost(s, 'all');
        if (got === undefined) expect(refusedOnPurpose(want), `parseHost refused ${JSON.stringify(s)}, WHATWG: ${want}`).to.equal(true);
        else expect(got.host, JSON.stringify(s)).to.equal(want);
      }), fuzzParams(3000));
    });

    it('for any name-like s that WHATWG rejects, parseHost rejects it too (but for xn-- labels, taken as written)', () => {
      fc.assert(fc.property(fc.oneof(hostish, numericish), (s) => {
        // WHATWG checks the Punycode of an xn-- label once anything else in the name is
        // non-ASCII (even an ignored code point); curl, Go and glibc never check it.
        if (whatwgHost(s) !== undefined || s.toLowerCase().includes('xn--')) return;
        expect(parseHost(s, 'all'), JSON.stringify(s)).to.equal(undefined);
      }), fuzzParams(3000));
    });
  });
});

describe('isMetadataHost', () => {
  const meta = (raw: string): boolean => {
    const h = parseHost(raw, 'all');
    return h !== undefined && isMetadataHost(h);
  };
  const forms: [string, boolean][] = [
    ['169.254.169.254', true],
    ['0xa9fea9fe', true],
    ['2852039166', true],
    ['0251.0376.0251.0376', true],
    ['169.254.43518', true],
    ['0xa9.0xfe.0xa9.0xfe', true],
    ['[::ffff:169.254.169.254]', true],
    ['[::ffff:a9fe:a9fe]', true],
    ['[64:ff9b::a9fe:a9fe]', true],
    ['[::169.254.169.254]', true],
    ['[::ffff:0:a9fe:a9fe]', true],
    ['[fd00:ec2::254]', true],
    ['[FD00:EC2:0:0:0:0:0:254]', true],
    ['fd00:ec2::23', true],
    ['169.254.170.2', true],
    ['169.254.170.23', true],
    ['100.100.100.200', true],
    ['[fe80::a9fe:a9fe%25eth0]', true],
    ['METADATA', true],
    ['metadata.google.internal.', true],
    ['Metadata.Google.Internal', true],
    ['%6detadata.google.internal', true],
    ['metadata\u3002google\u3002internal', true],
    ['metadata.goog', true],
    ['metadata.azure.com', true],
    ['instance-data', true],
    ['instance-data.ec2.internal', true],
    ['169.254.169.253', false],
    ['metadata.google.internal.evil.com', false],
    ['metadata.example.com', false],
    ['[::1]', false],
    ['[::a9fe:a9fd]', false],
    ['8.8.8.8', false],
  ];
  for (const [raw, want] of forms) it(`${JSON.stringify(raw)} → ${want}`, () => expect(meta(raw)).to.equal(want));

  it('every METADATA_HOSTS entry is in parseHost\'s normal form and is a metadata host', () => {
    for (const h of METADATA_HOSTS) {
      const parsed = parseHost(h, 'all');
      expect(parsed?.host, h).to.equal(h);
      expect(isMetadataHost(parsed!), h).to.equal(true);
    }
  });
});
