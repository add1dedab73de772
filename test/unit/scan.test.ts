import { expect } from 'chai';
import { identifierWords, trimEndChars, urlSpans } from '../../src/recognize/scan.ts';

describe('URL spans', () => {
  const table: [string, string, Partial<{ host: string; port: number; user: string; password: string }>[]][] = [
    ['a plain URL', 'https://api.example.com/v1', [{ host: 'api.example.com' }]],
    ['a port', 'rediss://cache.example.org:6380', [{ host: 'cache.example.org', port: 6380 }]],
    ['userinfo split at the first colon', 'postgres://app:s3cr:et@db.example.com:5432/x', [{ host: 'db.example.com', port: 5432, user: 'app', password: 's3cr:et' }]],
    ['the last @ ends the userinfo, as WHATWG parsers do', 'http://a@b@evil.example.com/', [{ host: 'evil.example.com', user: 'a@b' }]],
    ['a backslash ends the authority, as WHATWG parsers do for http', 'http://evil.example.com\\@declared.example.com/', [{ host: 'evil.example.com' }]],
    ['a bracketed IPv6 host', 'http://[2606:4700::2]:8080/', [{ host: '[2606:4700::2]', port: 8080 }]],
    ['a scheme after a colon', 'jdbc:postgresql://db.example.com/app', [{ host: 'db.example.com' }]],
    ['two URLs in a list', 'https://es1.example.com:9200,https://es2.example.com:9200', [{ host: 'es1.example.com', port: 9200 }, { host: 'es2.example.com', port: 9200 }]],
    ['no scheme, no span', '://x.example.com', []],
    ['a port of more than five digits is not a port', 'http://x.example.com:123456/', [{ host: 'x.example.com' }]],
  ];
  for (const [what, text, want] of table) {
    it(what, () => {
      const got = urlSpans(text).map(({ host, port, user, password }) => ({ host, ...(port !== undefined && { port }), ...(user !== undefined && { user }), ...(password !== undefined && { password }) }));
      expect(got).to.deep.equal(want);
    });
  }

  it('reads every URL of a long run, however it is packed', () => {
    const text = 'a://b'.repeat(20_000);
    expect(urlSpans(text).length).to.be.greaterThan(9_000);
  });
});

describe('identifier words', () => {
  const table: [string, string[]][] = [
    ['DB_PASSWORD', ['db', 'password']],
    ['dbPassword', ['db', 'password']],
    ['db-password', ['db', 'password']],
    ['db.password', ['db', 'password']],
    ['HTTPServerKey', ['http', 'server', 'key']],
    ['db2Password', ['db2', 'password']],
    ['PGPASSWORD', ['pgpassword']],
    ['__x__', ['x']],
    ['ÉTÉ_TOKEN', ['t', 'token']],
    ['', []],
  ];
  for (const [name, words] of table) {
    it(`splits ${JSON.stringify(name)}`, () => { expect(identifierWords(name)).to.deep.equal(words); });
  }
});

describe('small scanners', () => {
  it('trims trailing characters from a set', () => {
    expect(trimEndChars('db.example.com.:', '.:')).to.equal('db.example.com');
    expect(trimEndChars('....', '.')).to.equal('');
    expect(trimEndChars('abc', '.')).to.equal('abc');
  });
});
