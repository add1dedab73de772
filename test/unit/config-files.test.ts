import { expect } from 'chai';
import { formatOf, readConfigFile, type ConfigEntry } from '../../src/recognize/config-files.ts';

const entries = (key: string, text: string): ConfigEntry[] => {
  const out: ConfigEntry[] = [];
  readConfigFile(key, text, (e) => out.push(e));
  return out;
};
const pairs = (key: string, text: string): [string, string][] => entries(key, text).map((e) => [e.name, e.value]);

describe('config files: the grammar a data key names', () => {
  it('chooses the grammar by the file name', () => {
    expect(formatOf('application.properties')).to.equal('properties');
    expect(formatOf('values.yml')).to.equal('yaml');
    expect(formatOf('settings.json')).to.equal('json');
    expect(formatOf('my.cnf')).to.equal('ini');
    expect(formatOf('setup.cfg')).to.equal('ini');
    expect(formatOf('config.toml')).to.equal('toml');
    expect(formatOf('.env')).to.equal('dotenv');
    expect(formatOf('prod.env')).to.equal('dotenv');
    expect(formatOf('redis.conf')).to.equal('directives');
    expect(formatOf('.pgpass')).to.equal('pgpass');
    expect(formatOf('init.sql')).to.equal('sql');
    expect(formatOf('DB_PASSWORD')).to.equal('variable');
    expect(formatOf('spring.datasource.password')).to.equal('variable');
    expect(formatOf('Corefile')).to.equal('text');
    expect(formatOf('entrypoint.sh')).to.equal('text');
    expect(formatOf('dex.config')).to.equal('yaml');
  });

  it('a .conf with [sections] is INI, without them directives', () => {
    expect(readConfigFile('my.conf', '[client]\npassword=x\n', () => {})).to.equal('ini');
    expect(readConfigFile('redis.conf', 'requirepass x\n', () => {})).to.equal('directives');
  });
});

describe('config files: properties as java.util.Properties#load reads them', () => {
  it('reads key=value, key: value and key value', () => {
    expect(pairs('a.properties', 'a=1\nb: 2\nc 3\nd = 4\n')).to.deep.equal([['a', '1'], ['b', '2'], ['c', '3'], ['d', '4']]);
  });
  it('skips # and ! comments and blank lines', () => {
    expect(pairs('a.properties', '# a=1\n  ! b=2\n\nc=3')).to.deep.equal([['c', '3']]);
  });
  it('joins \\ continuation lines and drops their leading blanks', () => {
    const e = entries('a.properties', 'jaas=Module required \\\n    username="u" \\\n    password="p";\nnext=1');
    expect(e[0]).to.deep.include({ name: 'jaas', value: 'Module required username="u" password="p";', line: 1 });
    expect(e[1]).to.deep.include({ name: 'next', line: 4 });
  });
  it('reads escapes in keys and values', () => {
    expect(pairs('a.properties', 'a\\:b=\\u0041\\tz')).to.deep.equal([['a:b', 'A\tz']]);
  });
});

describe('config files: YAML', () => {
  it('reads nested keys, sequences, quotes, comments, anchors and flow maps', () => {
    const text = [
      'spring:', '  datasource:', '    password: "p1" # comment', 'list:', '  - user: u', '    password: &a p2', 'flow: {user: u, password: "p3"}', 'alias: *a', "single: 'it''s'",
    ].join('\n');
    expect(pairs('a.yaml', text)).to.deep.equal([['password', 'p1'], ['user', 'u'], ['password', 'p2'], ['user', 'u'], ['password', 'p3'], ['single', "it's"]]);
  });
  it('reads a block scalar as one value', () => {
    const e = entries('a.yaml', 'script: |\n  line one\n  line two\nnext: 1\n');
    expect(e[0]).to.deep.include({ name: 'script', value: 'line one\nline two\n', line: 1 });
    expect(e[1]).to.deep.include({ name: 'next', value: '1', line: 4 });
  });
  it('a `value:` next to `name:` stands under that name (env lists)', () => {
    expect(pairs('a.yaml', 'env:\n- name: DB_PASSWORD\n  value: x\n- name: LOG\n  value: y\n')).to.deep.include.members([['DB_PASSWORD', 'x'], ['LOG', 'y']]);
  });
});

describe('config files: JSON, INI, TOML, dotenv, pgpass', () => {
  it('JSON: each value under its key; array elements are a list, under no name (judged by their form only)', () => {
    expect(pairs('a.json', '{"a": {"password": "p"}, "n": 5, "tokens": ["t1", "t2"]}')).to.deep.equal([['password', 'p'], ['n', '5'], ['', 't1'], ['', 't2']]);
  });
  it('INI: sections, = and :, ; and # comments, quoted values', () => {
    expect(pairs('my.cnf', '[client]\n; c\n# c\npassword = "p"\nuser: u\nskip-name-resolve\n')).to.deep.equal([['password', 'p'], ['user', 'u']]);
  });
  it('TOML: tables, dotted keys, strings, multi-line strings, inline tables', () => {
    const text = '[db]\nauth.password = "p"\nkey = \'lit\' # c\nnote = """\nmulti\n"""\ncreds = { user = "u", password = "q" }\n';
    expect(pairs('a.toml', text)).to.deep.equal([['password', 'p'], ['key', 'lit'], ['note', 'multi\n'], ['user', 'u'], ['password', 'q']]);
  });
  it('dotenv: export, quotes, inline comments', () => {
    expect(pairs('.env', 'export A=1\nB="two words" # c\nC=3 # c\n# D=4\n')).to.deep.equal([['A', '1'], ['B', 'two words'], ['C', '3']]);
  });
  it('pgpass: the fifth field, with \\: escapes', () => {
    expect(pairs('.pgpass', '# c\ndb:5432:*:app:p\\:w\n')).to.deep.equal([['password', 'p:w']]);
  });
});

describe('config files: directives (redis.conf, nginx, postgresql.conf)', () => {
  it('redis: requirepass, masterauth, ACL >password, sentinel auth-pass', () => {
    const text = 'requirepass a1\nmasterauth a2\nuser app on >a3 #hash ~* +@all\nsentinel auth-pass mymaster a4\n# requirepass no\n';
    expect(entries('redis.conf', text).filter((e) => e.name === 'password').map((e) => e.value)).to.deep.equal(['a1', 'a2', 'a3', 'a4']);
  });
  it('nginx: header directives name the header; statements split at ; { }', () => {
    const e = entries('nginx.conf', 'location / { proxy_set_header Authorization "Bearer t"; auth_basic_user_file /etc/htpasswd; }');
    expect(e.find((x) => x.header)).to.deep.include({ name: 'Authorization', value: 'Bearer t' });
    expect(e.map((x) => x.name)).to.include('auth_basic_user_file');
  });
  it('name = value settings', () => {
    expect(pairs('postgresql.conf', "primary_conninfo = 'host=db password=x'  # c\n")).to.deep.equal([['primary_conninfo', 'host=db password=x']]);
  });
});

describe('config files: bounded', () => {
  // Their time is measured by `npm run bench -- worst` (the configmap-* shapes), not here.
  it('reads 1 MiB of any grammar to the end, visiting no more entries than the text has lines', function () {
    this.timeout(60_000);
    const shapes: Record<string, string> = {
      'a.properties': 'k\\\n'.repeat(1 << 18),
      'a.yaml': '- '.repeat(1 << 19),
      'a.json': '['.repeat(1 << 20),
      'b.json': '"\\'.repeat(1 << 19),
      'a.toml': 'k = """\n'.repeat(1 << 17),
      'a.ini': '[x]\n'.repeat(1 << 18),
      'nginx.conf': '"'.repeat(1 << 20),
      'c.conf': ';{'.repeat(1 << 19),
      '.env': 'A="'.repeat(1 << 18),
      '.pgpass': ':'.repeat(1 << 20),
    };
    for (const [key, text] of Object.entries(shapes)) {
      let n = 0;
      readConfigFile(key, text, () => { n++; });
      expect(n, key).to.be.at.most(text.split('\n').length + 1);
    }
  });
});
