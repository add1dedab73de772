import { expect } from 'chai';
import fc from 'fast-check';
import { parseHost } from '../../src/recognize/host-text.ts';
import { urlHosts, type UrlHost } from '../../src/recognize/url.ts';
import { fuzzParams } from '../helpers/fuzz.ts';

/** A result as `host` or `host:port`, the host normalised by parseHost (raw text when it is none). */
const show = (u: UrlHost): string => {
  const h = parseHost(u.host, 'all')?.host ?? `raw:${JSON.stringify(u.host)}`;
  return u.port === undefined ? h : `${h}:${u.port}`;
};
const hostsOf = (text: string, schemeRelative = false): string[] => urlHosts(text, { schemeRelative }).map(show);

type Row = [why: string, text: string, want: string[]];

const rows: Row[] = [
  ['an https URL', 'https://api.stripe.com/v1', ['api.stripe.com']],
  ['a port', 'https://api.example.com:8443/x', ['api.example.com:8443']],
  ['userinfo is skipped', 'postgres://user:pw@db.example.com:5432/app', ['db.example.com:5432']],
  ['a JDBC URL', 'jdbc:postgresql://db.example.com/app', ['db.example.com']],
  ['a scheme with "+"', 'mongodb+srv://cluster0.abcde.mongodb.net/test', ['cluster0.abcde.mongodb.net']],
  ['a scheme with "+" and userinfo', 'git+ssh://git@github.com/org/repo.git', ['github.com']],
  ['a redis URL', 'rediss://cache.example.org:6380', ['cache.example.org:6380']],
  ['an IPv6 literal', 'http://[2606:4700::2]:8080/', ['2606:4700::2:8080']],
  ['a zone id in brackets', 'http://[fe80::1%25eth0]:80/', ['fe80::1:80']],
  ['a numeric host', 'http://134744072/', ['8.8.8.8']],
  ['upper-case scheme and host', 'HTTPS://API.Example.COM/', ['api.example.com']],
  ['a URL inside prose', 'see (http://a.example.com) and', ['a.example.com']],
  ['a URL in quotes', 'curl "https://a.example.com/x"', ['a.example.com']],
  ['several URLs', 'a=http://one.example.com b=ftp://two.example.com/', ['one.example.com', 'two.example.com']],
  ['a shell variable in the host', 'https://$REGION.evil.com/', ['raw:"$REGION.evil.com"']],
  ['a templated port', 'http://a.example.com:$PORT/', ['a.example.com']],

  // Special schemes as WHATWG reads them.
  ['no slashes', 'http:evil.com', ['evil.com']],
  ['no slashes, upper case', 'HTTP:evil.com/x', ['evil.com']],
  ['no slashes after a key', 'upstream=http:evil.com/x', ['evil.com']],
  ['one slash', 'https:/evil.com', ['evil.com']],
  ['three slashes', 'http:///evil.com', ['evil.com']],
  ['backslashes', 'http:\\\\evil.com\\x', ['evil.com']],
  ['a slash and a backslash', 'http:/\\evil.com', ['evil.com']],
  ['ws without slashes', 'wss:evil.com', ['evil.com']],
  ['ftp without slashes', 'ftp:evil.com', ['evil.com']],
  ['a backslash ends a special authority', 'http://evil.com\\@good.com/', ['evil.com']],
  ['a backslash is userinfo in another scheme', 'foo://evil.com\\@good.com/', ['good.com']],
  ['the last "@" ends userinfo', 'http://u:p@h@i.example.com/', ['i.example.com']],
  ['"#" ends the authority', 'http://a.example.com#@b.example.com', ['a.example.com']],
  ['"?" ends the authority', 'http://a.example.com?@b.example.com', ['a.example.com']],
  ['a file URL with a host', 'file://evil.com/share', ['evil.com']],
  ['a file URL with backslashes', 'file:\\\\evil.com\\share', ['evil.com']],

  // TAB/LF/CR and quotes: both readings.
  ['a TAB inside the host (WHATWG drops it)', 'https://ex\tfil.com/', ['ex', 'exfil.com']],
  ['a LF inside the host', 'https://ex\nfil.com/', ['ex', 'exfil.com']],
  ['a TAB inside the scheme', 'ht\ttps://exfil.com/', ['exfil.com']],
  ['a TAB after the colon', 'http:\t//exfil.com/', ['exfil.com']],
  ['two lines of a script', 'curl https://a.example.com\ncurl https://b.example.com', ['a.example.com', 'a.example.comcurl', 'b.example.com']],
  ['a quote before "@" (WHATWG: userinfo)', 'http://declared.com"@evil.com/', ['declared.com', 'evil.com']],
  ['"<" before "@"', 'http://declared.com<@evil.com/', ['declared.com', 'evil.com']],
  ['a JSON string ends the URL', '{"url":"https://api.example.com","n":1}', ['api.example.com']],
  ['a reference where the authority may be userinfo', '{"u":"https://$REGION.evil.com","c":"ops@example.com"}', ['raw:"$REGION.evil.com"', 'example.com']],
  ['a user name where the authority may be userinfo', 'http://u:p"x@h.example.com/', ['h.example.com']],
  ['a port before a quote and an "@" is dropped', '{"u":"https://api.example.com:8443","c":"ops@example.com"}', ['api.example.com', 'example.com']],

  // Host lists.
  ['a mongodb host list', 'mongodb://u:p@h1.example.com:27017,h2.example.com:27018/db', ['h1.example.com:27017', 'h2.example.com:27018']],
  ['a libpq host list', 'postgresql://h1.example.com,h2.example.com/db', ['h1.example.com', 'h2.example.com']],
  ['a list of URLs', 'https://es1.example.com:9200,https://es2.example.com:9200', ['es1.example.com:9200', 'es2.example.com:9200']],
  ['a list of slashless URLs', 'https://a.example.com,http:evil.com', ['a.example.com', 'evil.com']],
  ['a list of redis URLs', 'redis://r1.example.com:6379,redis://r2.example.com:6379', ['r1.example.com:6379', 'r2.example.com:6379']],
  ['SQL Server JDBC properties after ";"', 'jdbc:sqlserver://srv.database.windows.net:1433;database=d;user=bob@contoso.com;password=x', ['srv.database.windows.net:1433']],
  ['a SQL Server instance name', 'jdbc:sqlserver://db.example.com\\inst;user=sa', ['db.example.com']],

  // Ports.
  ['an empty port', 'http://a.example.com:/', ['a.example.com']],
  ['a port with leading zeros', 'http://a.example.com:0080/', ['a.example.com:80']],
  ['a port too large', 'http://a.example.com:99999/', ['a.example.com']],
  ['a port followed by letters', 'http://a.example.com:80x/', ['a.example.com']],

  // Not URLs, or no host.
  ['a non-special scheme needs "//"', 'foo:evil.com', []],
  ['mailto', 'mailto:me@example.com', []],
  ['a time', 'at 12:30 today', []],
  ['key:value', 'key:value', []],
  ['file with three slashes', 'file:///etc/passwd', []],
  ['file with one slash', 'file:/evil.com', []],
  ['a scheme and nothing', 'http://', []],
  ['a scheme and a space', 'http: //evil.com', []],
  ['no scheme', '://evil.com', []],
  ['an unclosed bracket', 'http://[::1/x', []],
  ['a bare //host', '//evil.com/x', []],
];

describe('urlHosts', () => {
  for (const [why, text, want] of rows) {
    it(`${why}: ${JSON.stringify(text)}`, () => expect(hostsOf(text)).to.deep.equal(want));
  }

  describe('scheme-relative values', () => {
    const relative: Row[] = [
      ['//host', '//evil.com/x', ['evil.com']],
      ['//host:port', '//evil.com:8443', ['evil.com:8443']],
      ['\\\\host (a special base reads it so)', '\\\\evil.com\\share', ['evil.com']],
      ['leading spaces', '  //evil.com', ['evil.com']],
      ['more slashes', '///evil.com', ['evil.com']],
      ['not at the start', 'x //evil.com', []],
      ['one slash', '/evil.com', []],
    ];
    for (const [why, text, want] of relative) it(why, () => expect(hostsOf(text, true)).to.deep.equal(want));
    it('has no scheme', () => expect(urlHosts('//evil.com', { schemeRelative: true })[0]).to.not.have.property('scheme'));
  });

  it('gives offsets of the whole authority, the scheme, and whether userinfo was there', () => {
    const text = 'x postgres://user:pw@db.example.com:5432/app';
    expect(urlHosts(text)).to.deep.equal([{ host: 'db.example.com', port: 5432, start: 13, end: 40, hasUserinfo: true, scheme: 'postgres' }]);
    expect(text.slice(13, 40)).to.equal('user:pw@db.example.com:5432');
    expect(urlHosts('jdbc:mysql://db.example.com/x')[0]).to.include({ scheme: 'mysql', hasUserinfo: false, start: 13, end: 27 });
    const list = urlHosts('mongodb://h1.example.com,h2.example.com/db');
    expect(list.map((u) => [u.start, u.end])).to.deep.equal([[10, 39], [10, 39]]);
  });

  describe('agrees with WHATWG on a single URL value', () => {
    const values = [
      'https://api.example.com/v1', 'http://u:p@h@i.example.com/', 'http:evil.com', 'http:\\\\evil.com\\x', 'https:/evil.com',
      'http://evil.com\\@good.com/', 'foo://evil.com\\@good.com/', 'https://ex\tfil.com/', 'ht\ttps://exfil.com/',
      'http://declared.com"@evil.com/', 'http://[::ffff:169.254.169.254]/', 'http://0xa9fea9fe/', 'https://%65vil.com/',
      'http://a.example.com#@b.example.com', 'file://evil.com/share', 'http://x_y.attacker.com:8080/', 'wss://h.example.com:443/',
    ];
    for (const v of values) {
      it(JSON.stringify(v), () => {
        const want = parseHost(new URL(v).hostname, 'all')?.host;
        expect(want).to.be.a('string');
        expect(urlHosts(v).map((u) => parseHost(u.host, 'all')?.host)).to.include(want);
      });
    }
  });

  it('property: for a URL value without spaces, the host WHATWG connects to is among the hosts read', () => {
    const piece = fc.constantFrom('a', 'b.example.com', 'x_y.attacker.com', '%65', '0x7f.1', '[::1]', '[::ffff:a9fe:a9fe]', ':', ':80', ':8080',
      '@', 'u:p@', '"', '\'', '<', '`', '{', '|', '\\', '/', '?', '#', ',', ';', '\t', '\n', '\r', '.', '-', '\u00e4', '\u3002', '$');
    const value = fc.tuple(fc.constantFrom('http://', 'https:', 'http:\\\\', 'ws://', 'foo://', 'postgres://', 'h\tttp://'), fc.array(piece, { maxLength: 12 }))
      .map(([scheme, parts]) => scheme + parts.join(''));
    fc.assert(fc.property(value, (v) => {
      let hostname: string;
      try { hostname = new URL(v).hostname; } catch { return; }
      const want = parseHost(hostname, 'all')?.host;
      if (want === undefined) return;
      expect(urlHosts(v).map((u) => parseHost(u.host, 'all')?.host), JSON.stringify(v)).to.include(want);
    }), fuzzParams(3000));
  });

  describe('never returns userinfo', () => {
    it('a password is never a host or a port', () => {
      for (const text of ['http://user:s3cr3t.example.com@h.example.com/', 'postgres://u:12345@db.example.com/', 'redis://:p4ss@cache.example.com:6379',
        'http://u:12345"x@h.example.com/', 'http://u:12345 x@h.example.com/', 'http://u:12345\tx@h.example.com/', 'http://u:123"@h.example.com/']) {
        for (const u of urlHosts(text)) {
          expect(u.host, text).to.not.match(/s3cr3t|12345|p4ss|123/);
          expect([12345, 123], text).to.not.include(u.port);
        }
      }
    });

    it('property: whatever the password holds (but "@", "/", "?", "#", "\\" and LF), neither it nor its digits come back', () => {
      const passChar = fc.constantFrom(...'aZ09:;,.!$&\'()*+=~%"<>`{}|^\t\r _-'.split(''), '1234', 'h.example.com', 'http:', 'x.y');
      fc.assert(fc.property(fc.array(passChar, { maxLength: 16 }).map((a) => `Qz${a.join('')}`), fc.constantFrom('http', 'postgres', 'foo'), (pass, scheme) => {
        const text = `${scheme}://u:${pass}@db.example.com/x`;
        const got = urlHosts(text);
        for (const u of got) {
          expect(u.host, text).to.not.include('Qz');
          expect(u.port, text).to.equal(undefined);
          // Nothing returned lies inside the userinfo but a dotted name the password spells out.
          const at = text.indexOf(u.host, u.start);
          if (at < text.lastIndexOf('@')) expect(parseHost(u.host.replaceAll('$', 'x'), 'all')?.host ?? '', text).to.include('.');
        }
        if (!pass.includes(' ')) expect(got.map((u) => u.host), text).to.include('db.example.com');
      }), fuzzParams(2000));
    });
  });

  describe('reads any input in linear time and bounded memory', function () {
    this.timeout(30_000);
    const MB2 = 2 * 1024 * 1024;
    const big: [string, string, (r: UrlHost[]) => void][] = [
      ['"http:" repeated', 'http:'.repeat(MB2 / 5), (r) => expect(new Set(r.map((u) => u.host))).to.deep.equal(new Set(['http']))],
      ['"http://" repeated (WHATWG: host http, empty port)', 'http://'.repeat(MB2 / 7), (r) => expect(new Set(r.map((u) => u.host))).to.deep.equal(new Set(['http']))],
      ['"a://" repeated', 'a://'.repeat(MB2 / 4), (r) => expect(r.every((u) => u.host === 'a')).to.equal(true)],
      ['"://" repeated', '://'.repeat(MB2 / 3), (r) => expect(r).to.deep.equal([])],
      ['colons', ':'.repeat(MB2), (r) => expect(r).to.deep.equal([])],
      ['a list of slashless URLs', 'http:80,'.repeat(MB2 / 8), (r) => expect(r[0]).to.include({ host: '80' })],
      ['"@" after a scheme', `http://${'@'.repeat(MB2)}`, (r) => expect(r).to.deep.equal([])],
      ['"a@" after a scheme', `http://${'a@'.repeat(MB2 / 2)}x.com`, (r) => expect(r.map((u) => u.host)).to.deep.equal(['x.com'])],
      ['"[" after a scheme', `http://${'['.repeat(MB2)}`, (r) => expect(r).to.deep.equal([])],
      ['quotes and "@"', `http://a.com${'"@'.repeat(MB2 / 2)}`, (r) => expect(r.map((u) => u.host)).to.deep.equal(['a.com'])],
      ['TAB/LF/CR inside a host', `http://ex${'\t\n\r'.repeat(MB2 / 3)}fil.com/`, (r) => expect(r.map(show)).to.include('exfil.com')],
      ['URLs, spaces and "@"', 'http://a.com @'.repeat(MB2 / 14), (r) => expect(r.length).to.be.greaterThan(0)],
      ['SQL Server properties', `sqlserver://h.example.com${`;${'a'.repeat(63)}`.repeat(MB2 / 64)}`, (r) => expect(r.map((u) => u.host)).to.deep.equal(['h.example.com'])],
      ['a long scheme', `${'a'.repeat(MB2)}://evil.com`, (r) => expect(r.map((u) => u.host)).to.deep.equal(['evil.com'])],
      ['a long host list', `mongodb://${'h.example.com,'.repeat(MB2 / 14)}`, (r) => expect(r.length).to.equal(Math.floor(MB2 / 14))],
      ['scheme-relative slashes', '/'.repeat(MB2), (r) => expect(r).to.deep.equal([])],
    ];
    for (const [why, text, check] of big) {
      it(why, () => {
        check(urlHosts(text));
        urlHosts(text, { schemeRelative: true });
      });
    }
  });
});
