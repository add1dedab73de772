// Command lines read as each program reads them: which words of a command sit in a credential
// position. A position is a program's password flag in the forms its manual gives (`-p x`,
// glued `-px`, `--password=x`), a positional password (`rabbitmqctl add_user U PW`), a
// `key=value` argument whose key is a credential (`vault write … secret_id=x`), a header
// whose name is one (`curl -H 'PRIVATE-TOKEN: x'`), what a password-stdin program reads
// (`echo x | docker login --password-stdin`), what a script writes into a credential file
// (`.netrc`, `.pgpass`, `.npmrc`…, read in that file's format), and a password in SQL handed to
// a database client. Whether the value there is a literal is judged by literals.ts.
//
// `credentialPositions` lists every position, literal or not: the host rule uses it to keep
// such words out of what it may show (a password can look like a host). `inCommand` reports
// the literal ones to the credential rule.
//
// The tables below are data: docs/detection.md lists them.

import { programName, type Command, type CommandWord } from '../objects/commands.ts';
import { OPAQUE } from '../objects/expand.ts';
import { afterAuthScheme, isLiteralSecret, unquote } from './literals.ts';
import { isSensitiveName, nameFacts, type NameSettings } from './names.ts';
import { sqlPasswords } from './sql.ts';

/** A credential position in a command: the word holding it and the value as the program reads it. */
export interface CredentialPosition {
  /** The word (argument, assignment, here-document body…) that holds the value. */
  word: CommandWord;
  /** The credential text: all of the word, or the part the program reads as the secret. */
  value: string;
  /** What kind of position, for the finding. */
  what: string;
  /** The value is a literal credential (not a reference, a variable, a placeholder). */
  literal: boolean;
}

type Emit = (word: CommandWord, value: string, what?: string) => void;

const ON_COMMAND_LINE = 'password on the command line';

/**
 * A value known only at run time: OPAQUE (a substitution), or a shell variable the script left
 * unexpanded (`${PW}`, `$PW` inside a longer word), a template (`{{ .pw }}`).
 */
function runTime(value: string): boolean {
  if (value.includes(OPAQUE) || value.includes('{{')) return true;
  for (let i = value.indexOf('$'); i >= 0; i = value.indexOf('$', i + 1)) {
    const c = value.charCodeAt(i + 1);
    if (c === 123 /* { */ || c === 40 /* ( */ || c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return true;
  }
  return false;
}

/**
 * An http(s) URL where a program reads a password: no program fetches its password from one,
 * so it is the password's text (other schemes, `vault://`, `op://`, name where a secret lives).
 */
const WEB_URL = /^["']?https?:\/\/\S+$/i;

/** The value in a credential position is a literal credential. */
export function isLiteralCredential(value: string): boolean {
  return !runTime(value) && (isLiteralSecret(value) || WEB_URL.test(value.trim()));
}

// ---------------------------------------------------------------------------------------------
// How a flag's value is read.

/**
 * - `plain`: the value is the secret;
 * - `openssl`: `pass:x` is the secret, `env:VAR`, `file:path`, `fd:N`, `stdin` say where it is;
 * - `userColon`: `user:password` (curl -u), the part after the first colon;
 * - `userPercent`: `user%password` (smbclient -U);
 * - `userComma`: `user,password` (lftp -u);
 * - `options`: `key=value,key=value` (mount -o), the values of credential keys;
 * - `keyValue`: `key=value` (kubectl --from-literal), the value when the key is a credential.
 */
type Read = 'plain' | 'openssl' | 'userColon' | 'userPercent' | 'userComma' | 'options' | 'keyValue';

/** How a flag's value is attached: `-p x`, `-px`, `--password=x`. */
type Form = 'next' | 'glued' | 'eq';

interface Flag {
  names: readonly string[];
  forms: readonly Form[];
  read?: Read;
}

/** What a program reads from its standard input when a flag (or a `-` argument) says so. */
interface Stdin {
  /** Flags (or `-`) that make the program read a secret from stdin; empty: always. */
  when: readonly string[];
  /** `line`: the first line is the secret; `userColon`: each line is `user:password`. */
  read: 'line' | 'userColon';
}

interface Entry {
  flags?: readonly Flag[];
  /** Flags that take a value (so the value is not counted as a positional argument). */
  valued?: readonly string[];
  /** Subcommands (their words, space-separated) and what they read. */
  sub?: Readonly<Record<string, Entry>>;
  /** Positional arguments after the subcommand that are secrets, counted from 0. */
  positional?: readonly number[];
  /** `key=value` arguments whose keys hold a secret, beyond sensitive names (`secret_id`). */
  keys?: readonly string[];
  stdin?: Stdin;
  /** Flags that take text a database client runs (`psql -c`): read for SQL passwords. */
  sql?: readonly Flag[];
  /** Standard input is SQL (a client with no script flag). */
  sqlStdin?: boolean;
  /** Header flags (`curl -H`): the header's name decides. */
  headers?: readonly Flag[];
}

const next = (...names: string[]): Flag => ({ names, forms: ['next'] });
const nextOrGlued = (...names: string[]): Flag => ({ names, forms: ['next', 'glued'] });
const anyForm = (read: Read, ...names: string[]): Flag => ({ names, forms: ['next', 'glued', 'eq'], read });

const MYSQL: Entry = {
  // mysql's -p and --password take an optional value: `-p x` prompts and x is the database.
  flags: [{ names: ['-p'], forms: ['glued'] }, { names: ['--password', '--pass'], forms: ['eq'] }],
  sql: [{ names: ['-e', '--execute'], forms: ['next', 'glued', 'eq'] }],
  sqlStdin: true,
};
const PSQL: Entry = { sql: [{ names: ['-c', '--command'], forms: ['next', 'eq'] }], sqlStdin: true };
const MONGO: Entry = { flags: [next('-p')], sql: [{ names: ['--eval'], forms: ['next', 'eq'] }], sqlStdin: true };
const SQLCMD: Entry = { flags: [nextOrGlued('-P')], sql: [{ names: ['-Q', '-q'], forms: ['next', 'glued'] }], sqlStdin: true };
const REDIS_CLI: Entry = {
  flags: [next('-a'), { names: ['--pass'], forms: ['next', 'eq'] }],
  valued: ['-h', '-p', '-s', '-a', '-u', '-n', '-r', '-i', '-d', '--user', '--pass', '--cacert', '--cacertdir', '--cert', '--key', '--sni', '--tls-ciphers', '--tls-ciphersuites'],
};
const REDIS_SERVER: Entry = { flags: [next('--requirepass', '--masterauth')] };
const LDAP: Entry = { flags: [nextOrGlued('-w')] };
const SMB: Entry = { flags: [anyForm('userPercent', '-U', '--user')] };
const MOUNT: Entry = { flags: [{ names: ['-o', '--options'], forms: ['next', 'glued', 'eq'], read: 'options' }] };
const LOGIN_STDIN: Stdin = { when: ['--password-stdin'], read: 'line' };
/** `docker login -p x`, `podman login --password-stdin`, `helm registry login`: the subcommand decides. */
const REGISTRY_LOGIN: Entry = { flags: [next('-p')], stdin: LOGIN_STDIN };
const KEYTOOL_PASSWORDS = ['-storepass', '-keypass', '-srcstorepass', '-deststorepass', '-srckeypass', '-destkeypass', '-new'];
const OPENSSL: Entry = {
  flags: [{ names: ['-passout', '-passin', '-pass'], forms: ['next'], read: 'openssl' }],
  sub: {
    enc: { flags: [next('-k')] },
    // openssl passwd [-1|-5|-6|-apr1] [-salt s] PASSWORD…: every positional argument is a password to hash.
    passwd: { valued: ['-salt', '-in'], positional: [0, 1, 2, 3] },
  },
};
const CURL: Entry = {
  flags: [anyForm('userColon', '-u', '--user', '-U', '--proxy-user')],
  headers: [{ names: ['-H', '--header', '--proxy-header'], forms: ['next', 'glued', 'eq'] }],
};
const HTTPIE: Entry = {};

/** Programs and what they read, from their manuals. */
const PROGRAMS: ReadonlyMap<string, Entry> = new Map<string, Entry>([
  ...['mysql', 'mysqldump', 'mysqladmin', 'mariadb', 'mariadb-dump', 'mariadb-admin', 'mysqlimport', 'mysqlshow', 'mysqlcheck', 'mysqlpump'].map((p): [string, Entry] => [p, MYSQL]),
  ...['psql', 'pg_dump', 'pg_dumpall', 'pg_restore'].map((p): [string, Entry] => [p, PSQL]),
  ...['mongo', 'mongosh'].map((p): [string, Entry] => [p, MONGO]),
  ...['mongodump', 'mongorestore', 'mongoexport', 'mongoimport', 'mongostat', 'mongotop'].map((p): [string, Entry] => [p, { flags: [next('-p')] }]),
  ...['sqlcmd', 'bcp', 'osql'].map((p): [string, Entry] => [p, SQLCMD]),
  ['cqlsh', { flags: [next('-p')], sql: [{ names: ['-e', '--execute'], forms: ['next', 'eq'] }], sqlStdin: true }],
  ['clickhouse-client', { sql: [{ names: ['-q', '--query'], forms: ['next', 'eq'] }], sqlStdin: true }],
  ...['redis-cli', 'valkey-cli', 'keydb-cli'].map((p): [string, Entry] => [p, REDIS_CLI]),
  ...['redis-server', 'valkey-server', 'keydb-server', 'redis-sentinel'].map((p): [string, Entry] => [p, REDIS_SERVER]),
  ...['ldapsearch', 'ldapmodify', 'ldapadd', 'ldapdelete', 'ldapwhoami', 'ldappasswd', 'ldapcompare', 'ldapmodrdn', 'ldapexop'].map((p): [string, Entry] => [p, LDAP]),
  ...['smbclient', 'rpcclient', 'smbcacls', 'smbtree', 'smbget', 'net'].map((p): [string, Entry] => [p, SMB]),
  ...['mount', 'mount.cifs', 'mount.smb3', 'mount.nfs'].map((p): [string, Entry] => [p, MOUNT]),
  ['sshpass', { flags: [nextOrGlued('-p')] }],
  ['keytool', { flags: [next(...KEYTOOL_PASSWORDS)] }],
  ['openssl', OPENSSL],
  ...['curl'].map((p): [string, Entry] => [p, CURL]),
  ['wget', { headers: [{ names: ['--header'], forms: ['next', 'eq'] }] }],
  ...['http', 'https', 'xh', 'xhs', 'httpie'].map((p): [string, Entry] => [p, HTTPIE]),
  ...['docker', 'podman', 'buildah', 'skopeo', 'nerdctl', 'oras', 'crane', 'regctl'].map((p): [string, Entry] => [p, {
    valued: ['--config', '-H', '--host', '-c', '--context', '-l', '--log-level', '--root', '--runroot', '--storage-driver', '--url', '--namespace', '-n'],
    sub: { login: REGISTRY_LOGIN, 'auth login': REGISTRY_LOGIN, 'registry login': REGISTRY_LOGIN, 'secret create': { stdin: { when: ['-'], read: 'line' } } },
  }]),
  ['helm', { sub: { 'registry login': REGISTRY_LOGIN } }],
  ['gh', { sub: { 'auth login': { stdin: { when: ['--with-token'], read: 'line' } } } }],
  ['az', { flags: [nextOrGlued('-p')] }],
  ['mc', { valued: ['--api', '--path', '--config-dir', '-C'], sub: { 'alias set': { positional: [3] }, 'config host add': { positional: [3] } } }],
  ['rabbitmqctl', { valued: ['-n', '--node', '-p', '--vhost', '-t', '--timeout'], sub: { add_user: { positional: [1] }, change_password: { positional: [1] }, authenticate_user: { positional: [1] } } }],
  ['vault', {
    keys: ['secret_id', 'password', 'token', 'client_secret', 'secret_key', 'private_key', 'passphrase'],
    sub: {
      login: { positional: [0], stdin: { when: ['-'], read: 'line' } },
      unseal: { positional: [0], stdin: { when: ['-'], read: 'line' } },
      'operator unseal': { positional: [0], stdin: { when: ['-'], read: 'line' } },
    },
  }],
  ['kubectl', { flags: [{ names: ['--from-literal'], forms: ['next', 'eq'], read: 'keyValue' }] }],
  ['lftp', { flags: [{ names: ['-u', '--user'], forms: ['next', 'eq'], read: 'userComma' }] }],
  ...['ncftp', 'ncftpget', 'ncftpput', 'ncftpls'].map((p): [string, Entry] => [p, { flags: [next('-p')] }]),
  ['unzip', { flags: [next('-P')] }],
  ['zip', { flags: [next('-P')] }],
  ...['7z', '7za', '7zr'].map((p): [string, Entry] => [p, { flags: [{ names: ['-p'], forms: ['glued'] }] }]),
  ['chpasswd', { stdin: { when: [], read: 'userColon' } }],
  ['passwd', { stdin: { when: ['--stdin'], read: 'line' } }],
  ['htpasswd', { stdin: { when: ['-i'], read: 'line' } }],
  ['sudo', { stdin: { when: ['-S', '--stdin'], read: 'line' } }],
  ['gpg', { stdin: { when: ['--passphrase-fd=0'], read: 'line' } }],
]);

/** Variables programs read a password from, whose names do not say so by their words. */
const PROGRAM_VARIABLES = new Set(['SSHPASS', 'SMBPASS']);

/** Configuration keys a program reads at run time: `redis-cli CONFIG SET requirepass x`. */
const REDIS_SECRET_SETTINGS = new Set(['requirepass', 'masterauth', 'primaryauth', 'tls-key-file-pass', 'tls-client-key-file-pass']);

// ---------------------------------------------------------------------------------------------

const FLAG = /^--?([A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?$/s;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** Words the documentation writes for "your user" and "your password": `username:password`, `user:pass`. */
const GENERIC_USERS = new Set(['user', 'username', 'usr', 'login', 'name', 'email', 'id', 'client', 'clientid', 'client_id', 'key']);
const GENERIC_PASSWORDS = new Set(['password', 'pass', 'passwd', 'pwd', 'secret', 'token', 'apikey', 'api_key', 'key']);

/** `user:pw`: the password, unless the pair is documentation (`username:password`, `<user:password>`). */
function afterSeparator(word: string, separator: string): string | undefined {
  if (word.startsWith('<') && word.endsWith('>')) return undefined;
  const at = word.indexOf(separator);
  if (at <= 0 || at === word.length - 1) return undefined;
  const user = word.slice(0, at).toLowerCase();
  const password = word.slice(at + 1);
  if (GENERIC_USERS.has(user) && GENERIC_PASSWORDS.has(password.toLowerCase())) return undefined;
  return password;
}

/** The secret(s) in a flag's value, read as the program reads it. */
function readValue(value: string, read: Read, s: NameSettings, out: (secret: string) => void): void {
  switch (read) {
    case 'plain': out(value); return;
    case 'openssl':
      // pass:x is the password itself; env:, file:, fd: and stdin say where it is.
      if (value.startsWith('pass:')) out(value.slice(5));
      return;
    case 'userColon': { const p = afterSeparator(value, ':'); if (p !== undefined) out(p); return; }
    case 'userPercent': { const p = afterSeparator(value, '%'); if (p !== undefined) out(p); return; }
    case 'userComma': { const p = afterSeparator(value, ','); if (p !== undefined) out(p); return; }
    case 'options':
      for (const item of value.split(',')) {
        const eq = item.indexOf('=');
        if (eq > 0 && nameFacts(item.slice(0, eq), s).sensitive) out(item.slice(eq + 1));
      }
      return;
    case 'keyValue': {
      const eq = value.indexOf('=');
      if (eq > 0 && nameFacts(value.slice(0, eq), s).sensitive) out(value.slice(eq + 1));
      return;
    }
  }
}

/**
 * A flag of the table at `args[i]`: its value (next word, glued, or after `=`), the word holding
 * it and how many words the flag took. Undefined when the word is not one of the flag's forms.
 */
function flagValue(args: readonly CommandWord[], i: number, flag: Flag): { value: string; word: CommandWord; taken: number } | undefined {
  const w = args[i]!;
  const t = w.text;
  for (const name of flag.names) {
    if (t === name) {
      if (!flag.forms.includes('next')) return undefined;
      const n = args[i + 1];
      // A dash starts the next flag, not a value (`mysql -p -h db`), except a lone `-` (stdin).
      return n && (!n.text.startsWith('-') || n.text === '-') ? { value: n.text, word: n, taken: 2 } : { value: '', word: w, taken: 1 };
    }
    if (!t.startsWith(name) || t.length === name.length) continue;
    if (t[name.length] === '=' && flag.forms.includes('eq')) return { value: t.slice(name.length + 1), word: w, taken: 1 };
    if (flag.forms.includes('glued') && !name.startsWith('--') && name.length === 2 && t[name.length] !== '=') return { value: t.slice(name.length), word: w, taken: 1 };
  }
  return undefined;
}

/** The first of `flags` that `args[i]` is a form of, handed to `use`; how many words it took (0: none). */
function takeFlag<F extends Flag>(args: readonly CommandWord[], i: number, flags: readonly F[] | undefined, use: (v: { value: string; word: CommandWord }, flag: F) => void): number {
  for (const f of flags ?? []) {
    const v = flagValue(args, i, f);
    if (v) { use(v, f); return v.taken; }
  }
  return 0;
}

/** The subcommand an entry's `sub` names at the start of `positionals`, longest first. */
function subcommand(entry: Entry, positionals: readonly CommandWord[]): { entry: Entry; words: number } | undefined {
  if (!entry.sub) return undefined;
  for (let n = Math.min(3, positionals.length); n > 0; n--) {
    const key = positionals.slice(0, n).map((w) => w.text.toLowerCase()).join(' ');
    const sub = entry.sub[key];
    if (sub) return { entry: sub, words: n };
  }
  return undefined;
}

/** What a command prints: `echo x`, `printf 'fmt' args`, `cat` of its here-document; undefined when not known. */
export function outputOf(cmd: Command): { text: string; words: readonly CommandWord[] } | undefined {
  const p = cmd.program;
  if (p === 'echo') {
    let i = 0;
    while (i < cmd.args.length && /^-[neE]+$/.test(cmd.args[i]!.text)) i++;
    const words = cmd.args.slice(i);
    const escapes = cmd.args.slice(0, i).some((a) => a.text.includes('e'));
    const text = words.map((w) => w.text).join(' ');
    return { text: escapes ? unescapeC(text) : text, words };
  }
  if (p === 'printf') {
    const [format, ...rest] = cmd.args;
    if (!format || format.text.startsWith('-')) return undefined;
    return { text: printf(format.text, rest.map((w) => w.text)), words: cmd.args };
  }
  // `cat` of its here-document (no file arguments); `tee` prints what it reads.
  if (p === 'cat' && cmd.stdin && cmd.args.every((a) => a.text.startsWith('-'))) return { text: cmd.stdin.text, words: [cmd.stdin] };
  if (p === 'tee') return inputOf(cmd);
  return undefined;
}

/** `\n`, `\t`, `\\` as echo -e and printf's format decode them (enough to split lines). */
function unescapeC(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i + 1 >= text.length) { out += c; continue; }
    const e = text[++i]!;
    out += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '\\' ? '\\' : `\\${e}`;
  }
  return out;
}

/** printf's output: `%s`/`%b`/`%d` take the next argument, `%%` is a percent sign. The format is reused while arguments remain (bounded). */
function printf(format: string, args: readonly string[]): string {
  let out = '';
  let k = 0;
  for (let round = 0; round < 16; round++) {
    for (let i = 0; i < format.length; i++) {
      const c = format[i]!;
      if (c === '\\' && i + 1 < format.length) { out += unescapeC(format.slice(i, i + 2)); i++; continue; }
      if (c !== '%') { out += c; continue; }
      let j = i + 1;
      while (j < format.length && j - i < 8 && '-+ #0123456789.'.includes(format[j]!)) j++;
      const conv = format[j];
      if (conv === '%') out += '%';
      else if (conv !== undefined) out += conv === 'b' ? unescapeC(args[k++] ?? '') : (args[k++] ?? '');
      i = j;
    }
    if (k === 0 || k >= args.length) break;
  }
  return out;
}

/** What a command reads on standard input, when the script says: a here-document, a here-string, `echo x |`. */
function inputOf(cmd: Command): { text: string; words: readonly CommandWord[] } | undefined {
  if (cmd.stdin) return { text: cmd.stdin.text, words: [cmd.stdin] };
  return cmd.pipedFrom ? outputOf(cmd.pipedFrom) : undefined;
}

/** The word of `words` that holds `value` (the first when none does alone). */
function holder(words: readonly CommandWord[], value: string): CommandWord | undefined {
  if (words.length <= 1) return words[0];
  return words.find((w) => w.text.includes(value)) ?? words[0];
}

/** Secrets read per file content or standard input: a bounded answer whatever the content. */
const MAX_SECRETS = 64;

/** A secret read from standard input: the first line, or each `user:password` line's password. */
function fromStdin(input: { text: string; words: readonly CommandWord[] }, read: Stdin['read'], emit: Emit, what: string): void {
  if (read === 'line') {
    const line = input.text.split('\n', 1)[0]!.trim();
    const w = holder(input.words, line);
    if (line !== '' && w) emit(w, line, what);
    return;
  }
  let lines = 0;
  for (const line of input.text.split('\n')) {
    if (++lines > MAX_SECRETS) break;
    const p = afterSeparator(line.trim(), ':');
    const w = p !== undefined ? holder(input.words, p) : undefined;
    if (p !== undefined && w) emit(w, p, what);
  }
}

// ---------------------------------------------------------------------------------------------
// Credential files a script writes, read in their own format.

type FileFormat = 'netrc' | 'pgpass' | 'npmrc' | 'urls' | 'ini' | 'docker';

/** The format of a file, by its name (and, for `config.json`, its directory). */
export function credentialFileFormat(path: string): FileFormat | undefined {
  const p = path.replace(/\\/g, '/');
  const base = p.slice(p.lastIndexOf('/') + 1).toLowerCase();
  if (base === '.netrc' || base === '_netrc') return 'netrc';
  if (base === '.pgpass' || base === 'pgpass') return 'pgpass';
  if (base === '.npmrc' || base === 'npmrc') return 'npmrc';
  if (base === '.git-credentials' || base === 'git-credentials') return 'urls';
  if (base === '.dockercfg' || (base === 'config.json' && p.includes('.docker/')) || (base === 'auth.json' && p.includes('containers/'))) return 'docker';
  if (base.endsWith('.cnf') || base === '.pypirc' || base === '.s3cfg' || base === '.boto' || base === '.env' || base.endsWith('.env')
    || (base === 'credentials' && p.includes('.aws/'))) return 'ini';
  return undefined;
}

/** Lines read per file, bounded. */
const MAX_LINES = 4096;

/** The secrets of a credential file's content, in its format. */
function fileSecrets(format: FileFormat, content: string, s: NameSettings, out: (secret: string) => void): void {
  const lines = content.split('\n', MAX_LINES);
  switch (format) {
    case 'netrc': {
      // machine h login u password x: the token after `password`.
      const tokens = content.split(/[ \t\r\n]+/, 16 * MAX_LINES);
      for (let i = 0; i + 1 < tokens.length; i++) if (tokens[i] === 'password') out(tokens[i + 1]!);
      return;
    }
    case 'pgpass':
      // hostname:port:database:username:password, `\:` an escaped colon.
      for (const line of lines) {
        if (line.trimStart().startsWith('#')) continue;
        const fields = splitUnescaped(line.trim(), ':');
        if (fields.length >= 5) out(fields.slice(4).join(':'));
      }
      return;
    case 'npmrc':
      // //registry.npmjs.org/:_authToken=x, _auth=base64(user:pw), //host/:_password=base64(pw).
      for (const line of lines) {
        const eq = line.indexOf('=');
        if (eq <= 0) continue;
        const key = line.slice(0, eq).trim();
        const name = key.slice(key.lastIndexOf(':') + 1).toLowerCase();
        if (name === '_authtoken' || name === '_auth' || name === '_password' || nameFacts(name, s).sensitive) out(unquote(line.slice(eq + 1).trim()));
      }
      return;
    case 'urls':
      // https://user:password@host per line.
      for (const line of lines) {
        const scheme = line.indexOf('://');
        if (scheme < 0) continue;
        const rest = line.slice(scheme + 3);
        const at = rest.lastIndexOf('@', rest.includes('/') ? rest.indexOf('/') : rest.length);
        if (at <= 0) continue;
        const userinfo = rest.slice(0, at);
        const colon = userinfo.indexOf(':');
        out(colon >= 0 ? userinfo.slice(colon + 1) : userinfo);
      }
      return;
    case 'ini':
      // [client]\npassword=x, `password = x`, `password: x`, `export KEY=x` in .env files.
      for (const raw of lines) {
        const line = raw.trim().replace(/^export[ \t]+/, '');
        if (line === '' || line[0] === '#' || line[0] === ';' || line[0] === '[') continue;
        const eq = firstOf(line, '=', ':');
        if (eq <= 0) continue;
        const key = line.slice(0, eq).trim();
        if (nameFacts(key, s).sensitive) out(unquote(line.slice(eq + 1).trim()));
      }
      return;
    case 'docker':
      dockerConfigSecrets(content, out);
      return;
  }
}

/** The first of two separators in a line, or -1. */
function firstOf(line: string, a: string, b: string): number {
  const i = line.indexOf(a);
  const j = line.indexOf(b);
  return i < 0 ? j : j < 0 ? i : Math.min(i, j);
}

function splitUnescaped(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\' && i + 1 < line.length) { cur += line[++i]; continue; }
    if (line[i] === sep) { out.push(cur); cur = ''; } else cur += line[i];
  }
  out.push(cur);
  return out;
}

/** ~/.docker/config.json: `auths.<registry>.auth` (base64 of user:password), `password`, `identitytoken`, `registrytoken`. */
function dockerConfigSecrets(content: string, out: (secret: string) => void): void {
  let json: unknown;
  try { json = JSON.parse(content); } catch { return; }
  if (typeof json !== 'object' || json === null) return;
  const o = json as Record<string, unknown>;
  const registries = typeof o['auths'] === 'object' && o['auths'] !== null ? o['auths'] as Record<string, unknown> : o;
  for (const entry of Object.values(registries)) {
    if (typeof entry !== 'object' || entry === null) continue;
    for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
      if (typeof v !== 'string') continue;
      const key = k.toLowerCase();
      if (key === 'password' || key === 'identitytoken' || key === 'registrytoken') out(v);
      else if (key === 'auth' && userPasswordBase64(v)) out(v);
    }
  }
}

/** A base64 `user:password` with a literal password (what `auth` in a Docker config holds). */
function userPasswordBase64(v: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v) || v.length > 4096) return false;
  const decoded = Buffer.from(v, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 && !/[\u0000-\u001f\ufffd]/.test(decoded) && isLiteralCredential(decoded.slice(colon + 1));
}

/** Where a command writes its output: `> file`, `>> file`, `tee [-a] file`. */
function writtenFiles(cmd: Command): string[] {
  const files: string[] = [];
  for (const r of cmd.redirects) {
    // `>`, `>>`, `1>`, `>|`, `&>`: standard output goes to the file; `2>` is the error stream.
    if (r.op.includes('<') || /^[02-9]/.test(r.op)) continue;
    files.push(r.text);
  }
  if (cmd.program === 'tee') for (const a of cmd.args) if (!a.text.startsWith('-')) files.push(a.text);
  return files;
}

// ---------------------------------------------------------------------------------------------
// Headers on command lines.

const AUTH_HEADERS = new Set(['authorization', 'proxy-authorization']);
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/** `Name: value` as an HTTP header: its value's secret when the name says it is a credential. */
function headerSecret(header: string, s: NameSettings): string | undefined {
  const colon = header.indexOf(':');
  if (colon <= 0) return undefined;
  const name = header.slice(0, colon).trim();
  if (!HEADER_NAME.test(name)) return undefined;
  const value = header.slice(colon + 1).trim();
  if (value === '') return undefined;
  if (AUTH_HEADERS.has(name.toLowerCase())) return afterAuthScheme(value);
  return nameFacts(name, s).sensitive ? value : undefined;
}

/** httpie's items after the URL: `Name:value` is a header (`name==v` a query, `name=v` data, `name:=v` JSON). */
function httpieHeaders(args: readonly CommandWord[], s: NameSettings, emit: Emit): void {
  let positional = 0;
  for (const a of args) {
    const t = a.text;
    if (t.startsWith('-')) continue;
    positional++;
    // METHOD URL items…, or URL items…: items start after the first word with a dot, slash or colon-port.
    if (positional === 1 && /^[A-Z]+$/.test(t)) { positional--; continue; }
    if (positional === 1) continue;
    const colon = t.indexOf(':');
    if (colon <= 0 || t[colon + 1] === '=' || t.slice(0, colon).includes('=')) continue;
    const secret = headerSecret(t, s);
    if (secret !== undefined) emit(a, secret, 'credential in an HTTP header');
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Every credential position of one command line (wrappers, nested scripts, pipes and
 * here-documents already resolved by the view), literal or not, in `visit`.
 */
export function credentialPositions(cmd: Command, s: NameSettings, visit: (p: CredentialPosition) => void): void {
  const emit: Emit = (word, value, what = ON_COMMAND_LINE) => {
    if (value !== '') visit({ word, value, what, literal: isLiteralCredential(value) });
  };
  for (const a of cmd.assignments) {
    // PGPASSWORD=x psql ..., export API_TOKEN=x, env K=V cmd, SSHPASS=x sshpass -e
    if (nameFacts(a.name, s).sensitive || PROGRAM_VARIABLES.has(a.name)) emit(a.word, a.value);
  }
  // A comment's words read as a command of their own: a password written there is stored all the same.
  const program = cmd.comment ? programName(cmd.args[0]?.text ?? '') : cmd.program;
  const words = cmd.comment ? cmd.args.slice(1) : cmd.args;
  for (const w of cmd.wrappers ?? []) programWords(w.program, w.args, cmd, s, emit);
  programWords(program, words, cmd, s, emit);
  // Files the command writes: their format decides what in the content is a secret.
  const files = cmd.comment ? [] : writtenFiles(cmd);
  if (files.length > 0) {
    const content = cmd.program === 'tee' ? inputOf(cmd) : outputOf(cmd);
    if (content) {
      for (const f of files) {
        const format = credentialFileFormat(f);
        let n = 0;
        if (format) fileSecrets(format, content.text, s, (secret) => {
          const w = ++n <= MAX_SECRETS ? holder(content.words, secret) : undefined;
          if (w) emit(w, secret, 'password written to a credential file');
        });
      }
    }
  }
}

/** One program's words (the command's, or a wrapper's own) against its table entry and the generic rules. */
function programWords(program: string, words: readonly CommandWord[], cmd: Command, s: NameSettings, emit: Emit): void {
  const base = PROGRAMS.get(program);
  const sub = base ? subcommand(base, positionalsOf(words, base.valued)) : undefined;
  const entry: Entry = sub ? { ...base, ...sub.entry, flags: [...(base?.flags ?? []), ...(sub.entry.flags ?? [])] } : base ?? {};
  // The subcommand's own valued flags (`openssl passwd -salt s`) are known once it is.
  const after = positionalsOf(words, [...(base?.valued ?? []), ...(sub?.entry.valued ?? [])]).slice(sub?.words ?? 0);
  for (const n of entry.positional ?? []) {
    const w = after[n];
    // vault login -method=userpass username=u password=x: key=value pairs, not a token.
    if (w && !(program === 'vault' && w.text.includes('='))) emit(w, w.text);
  }
  if (program === 'redis-cli' || program === 'valkey-cli' || program === 'keydb-cli') redisCommand(after, emit);
  if (program === 'htpasswd') htpasswd(words, emit);
  if (program === 'aws' && words[0]?.text === 'configure' && words[1]?.text === 'set') {
    const [key, value] = [words[2], words[3]];
    if (key && value && isSensitiveName(key.text, s)) emit(value, value.text);
  }
  if (HTTPIE === base) httpieHeaders(words, s, emit);
  // A secret read from standard input when a flag says so (or always).
  if (entry.stdin && !cmd.comment && (entry.stdin.when.length === 0 || words.some((w) => entry.stdin!.when.includes(w.text)) || (entry.stdin.when.includes('--passphrase-fd=0') && passphraseFd0(words)))) {
    const input = inputOf(cmd);
    if (input && !(program === 'chpasswd' && words.some((w) => w.text === '-e' || w.text === '--encrypted'))) fromStdin(input, entry.stdin.read, emit, 'password on standard input');
  }
  // SQL handed to a database client: as a flag's value or on standard input.
  if (entry.sqlStdin && !cmd.comment && !entry.sql?.some((f) => words.some((w, i) => flagValue(words, i, f))) ) {
    const input = inputOf(cmd);
    if (input) sqlIn(input.text, input.words, emit);
  }
  const declared = new Set<string>();
  for (const f of [...(entry.flags ?? []), ...(entry.sql ?? []), ...(entry.headers ?? [])]) for (const n of f.names) declared.add(n);
  for (let i = 0; i < words.length; i++) {
    const { text: word } = words[i]!;
    // A credential flag, a flag carrying SQL, a header flag: the first that word i starts.
    const taken = takeFlag(words, i, entry.flags, (v, f) => {
      // keytool -storepass:env VAR, -storepass:file path: a reference, handled by the name not matching.
      if (v.value !== '' && !(program === 'keytool' && jdkTruststoreDefault(words, v.value))) readValue(v.value, f.read ?? 'plain', s, (secret) => emit(v.word, secret));
    }) || takeFlag(words, i, entry.sql, (v) => sqlIn(v.value, [v.word], emit))
      || takeFlag(words, i, entry.headers, (v) => {
        const secret = headerSecret(v.value, s);
        if (secret !== undefined) emit(v.word, secret, 'credential in an HTTP header');
      });
    if (taken > 0) { i += taken - 1; continue; }
    // keytool's `:env`/`:file` modifiers name where the password is: the next word is a name or a path.
    if (program === 'keytool' && KEYTOOL_PASSWORDS.some((p) => word.startsWith(`${p}:`))) { i++; continue; }
    const assign = word.includes('=') && !word.startsWith('-') ? ASSIGNMENT.exec(word) : null;
    if (assign) {
      const key = assign[1]!;
      if (nameFacts(key, s).sensitive || entry.keys?.includes(key.toLowerCase())) emit(words[i]!, assign[2]!);
      continue;
    }
    if (word.charCodeAt(0) !== 45 /* - */) continue;
    const flag = FLAG.exec(word);
    if (!flag) continue;
    const [, name, inline] = flag;
    const spelled = inline === undefined ? word : word.slice(0, word.indexOf('='));
    // A flag the table declares is read only in its declared forms (`mysql --password db` prompts).
    if (declared.has(spelled)) continue;
    if (name!.length > 1 && nameFacts(name!, s).sensitive) {
      const n = words[i + 1];
      if (inline !== undefined) emit(words[i]!, inline, 'credential on the command line');
      else if (n && !n.text.startsWith('-')) { emit(n, n.text, 'credential on the command line'); i++; }
    }
  }
}

/**
 * `keytool -importcert -cacerts -storepass changeit`: the JDK's truststore ships with this
 * published password, which guards no secret (the truststore holds public certificates).
 */
function jdkTruststoreDefault(words: readonly CommandWord[], value: string): boolean {
  if (value !== 'changeit') return false;
  return words.some((w, i) => w.text === '-cacerts' || (w.text === '-keystore' && /(?:^|\/)cacerts$/.test(words[i + 1]?.text ?? '')));
}

/** Positional words: flags and the values of `valued` flags left out (a lone `-` is stdin, kept). */
function positionalsOf(words: readonly CommandWord[], valued: readonly string[] = []): CommandWord[] {
  const out: CommandWord[] = [];
  for (let i = 0; i < words.length; i++) {
    const t = words[i]!.text;
    if (t.startsWith('-') && t !== '-') { if (valued.includes(t)) i++; continue; }
    out.push(words[i]!);
  }
  return out;
}

/** `gpg --passphrase-fd 0` (or `=0`): the passphrase is on standard input. */
function passphraseFd0(words: readonly CommandWord[]): boolean {
  return words.some((w, i) => w.text === '--passphrase-fd=0' || (w.text === '--passphrase-fd' && words[i + 1]?.text === '0'));
}

/** redis-cli's command words: `CONFIG SET requirepass x [masterauth y…]`, `AUTH [user] password`. */
function redisCommand(positionals: readonly CommandWord[], emit: Emit): void {
  const verb = positionals[0]?.text.toLowerCase();
  if (verb === 'auth' && positionals.length >= 2 && positionals.length <= 3) {
    const pw = positionals[positionals.length - 1]!;
    emit(pw, pw.text);
  }
  if (verb === 'config' && positionals[1]?.text.toLowerCase() === 'set') {
    for (let i = 2; i + 1 < positionals.length; i += 2) {
      if (REDIS_SECRET_SETTINGS.has(positionals[i]!.text.toLowerCase())) emit(positionals[i + 1]!, positionals[i + 1]!.text);
    }
  }
}

/** htpasswd -b[c…] FILE USER PASSWORD; with -n there is no FILE: htpasswd -nb USER PASSWORD. */
function htpasswd(args: readonly CommandWord[], emit: Emit): void {
  const flags = args.filter((a) => a.text.startsWith('-')).map((a) => a.text.slice(1)).join('');
  if (!flags.includes('b')) return;
  const positional = args.filter((a) => !a.text.startsWith('-'));
  const pw = positional[flags.includes('n') ? 1 : 2];
  if (pw) emit(pw, pw.text);
}

/** SQL (or mongosh JavaScript) a client runs: its password literals. */
function sqlIn(text: string, words: readonly CommandWord[], emit: Emit): void {
  for (const p of sqlPasswords(text)) {
    const w = holder(words, p.value);
    if (w) emit(w, p.value, p.what);
  }
}

/**
 * Literal credentials on one command line, for the credential rule: `found(source, what)` with
 * the index of the text that holds each.
 */
export function inCommand(cmd: Command, s: NameSettings, found: (source: number, what: string) => void): void {
  credentialPositions(cmd, s, (p) => { if (p.literal) found(p.word.source, p.what); });
}

/** Shorter values cannot spell a host (a name needs a dot and a suffix): they are left in place. */
const MASKED_MIN = 4;

/**
 * The command with every credential position's text taken out of its words (literal or not):
 * what the host rule reads, so a password never becomes a host it shows (`keytool -storepass
 * summer2024.io`, `mount -o password=x.io`, SQL `PASSWORD 'x.io'`). A word without positions is
 * the same object; the command is returned as is when it has none.
 */
export function withoutCredentials(cmd: Command, s: NameSettings): Command {
  const byWord = new Map<CommandWord, string[]>();
  credentialPositions(cmd, s, (p) => {
    if (p.value.length < MASKED_MIN) return;
    const values = byWord.get(p.word);
    if (!values) byWord.set(p.word, [p.value]);
    else if (values.length < 64) values.push(p.value);
  });
  if (byWord.size === 0) return cmd;
  const maskText = (text: string, values: readonly string[]): string => values.reduce((t, v) => t.split(v).join(''), text);
  const mask = <W extends CommandWord>(w: W): W => {
    const values = byWord.get(w);
    return values ? { ...w, text: maskText(w.text, values) } : w;
  };
  const stdin = cmd.stdin ? mask(cmd.stdin) : undefined;
  const stdinValues = cmd.stdin ? byWord.get(cmd.stdin) : undefined;
  // `cat <<EOF | docker login --password-stdin`: the feeding command's here-document is read here.
  const fed = cmd.pipedFrom?.stdin;
  return {
    ...cmd,
    ...(cmd.pipedFrom && fed && byWord.has(fed) ? { pipedFrom: { ...cmd.pipedFrom, stdin: mask(fed) } } : {}),
    args: cmd.args.map(mask),
    assignments: cmd.assignments.map((a) => {
      const values = byWord.get(a.word);
      return values ? { ...a, value: maskText(a.value, values), word: mask(a.word) } : a;
    }),
    // A here-string is both a redirection and the standard input.
    redirects: cmd.redirects.map((r) => (stdinValues && r.op.endsWith('<<<') ? { ...r, text: maskText(r.text, stdinValues) } : r)),
    ...(stdin ? { stdin } : {}),
  };
}
