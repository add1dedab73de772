// The entries of a config file kept in a ConfigMap, read the way the program that loads the
// file reads it. A ConfigMap's data key is the file name it is mounted as (and, through envFrom,
// a variable name): that name says which program reads the text, so it decides the grammar.
// A key whose extension is no known format names its value itself (envFrom turns
// `DB_PASSWORD: x` into a variable of that name).
//
// Pure and bounded: every reader walks its text once, line by line or character by character,
// with no backtracking expression, and hands each entry to `visit` as it is found (nothing is
// collected), so a 1 MiB value costs time linear in its size. Facts about each grammar come from
// the programs' manuals: java.util.Properties#load, YAML 1.2, TOML 1.0, Python configparser and
// MySQL option files, dotenv, redis.conf, nginx, libpq's .pgpass.

import { sqlPasswords } from './sql.ts';

export type ConfigFormat =
  | 'properties' | 'yaml' | 'json' | 'ini' | 'toml' | 'dotenv' | 'directives' | 'pgpass' | 'sql'
  /** No file extension: the data key is the variable name of its one value. */
  | 'variable'
  /** A file whose grammar has no positions for credentials (scripts, Corefile, certificates): read as text only. */
  | 'text';

export interface ConfigEntry {
  /** The name that says what the value is: the last key, a directive, a header name. */
  name: string;
  /** The value as the program receives it (quotes and escapes removed). */
  value: string;
  /** 1-based line of the file where the entry starts. */
  line: number;
  /** The header a directive sets (`proxy_set_header Authorization "Bearer x"`): judged as a header. */
  header?: boolean;
}

export type Visit = (entry: ConfigEntry) => void;

/** What the format is called in messages. */
export const FORMAT_NAMES: Readonly<Record<ConfigFormat, string>> = {
  properties: 'Java properties', yaml: 'YAML', json: 'JSON', ini: 'INI', toml: 'TOML', dotenv: 'dotenv',
  directives: 'configuration directives', pgpass: 'pgpass', sql: 'SQL', variable: 'variable', text: 'text',
};

/** Extensions whose programs read `key value` directives, or `key = value` lines, with `#` comments. */
const DIRECTIVE_FILES = new Set(['conf']);
/** Files without an extension that name a program's config, read as text. */
const TEXT_FILES = new Set(['nsswitch.conf', 'passwd', 'group', 'resolv.conf', 'host.conf', 'corefile', 'dockerfile', 'makefile', 'caddyfile', 'procfile', 'jenkinsfile', 'gemfile', 'vagrantfile', 'htpasswd', '.htpasswd', 'known_hosts', 'authorized_keys', 'hosts', 'resolv', 'crontab', 'nsswitch', 'license', 'readme', 'notice']);
/** Extensions of scripts, documents and key material: text, whatever their key is called. */
const TEXT_EXTENSIONS = new Set([
  'sh', 'bash', 'zsh', 'ps1', 'py', 'rb', 'js', 'mjs', 'ts', 'lua', 'pl', 'php', 'go', 'java', 'groovy', 'tpl', 'tmpl', 'j2', 'jinja', 'jinja2',
  'md', 'txt', 'html', 'htm', 'css', 'xml', 'csv', 'tsv', 'log', 'rego', 'cue', 'hcl', 'tf', 'star', 'proto', 'graphql', 'gql', 'rules', 'alerts',
  'pem', 'crt', 'cer', 'csr', 'pub', 'asc', 'svg', 'dashboard', 'jsonnet', 'libsonnet', 'mustache', 'vcl', 'cnf-template', 'lst', 'list',
]);
/** Keys that hold a YAML document without saying so (Argo CD's argocd-cm). */
const YAML_KEYS = new Set(['dex.config', 'oidc.config', 'resource.customizations', 'accounts.config', 'config', 'mesh', 'meshnetworks', 'values', 'policy']);

/** The grammar of the file a data key names. */
export function formatOf(key: string): ConfigFormat {
  const lower = key.toLowerCase();
  const base = lower.slice(lower.lastIndexOf('/') + 1);
  // Knative's `_example`: documentation its controllers never read (every config-* ConfigMap
  // has one); only forms that are credentials wherever they are written count there.
  if (base === '_example') return 'text';
  if (YAML_KEYS.has(base)) return 'yaml';
  if (TEXT_FILES.has(base)) return 'text';
  if (base === '.env' || base.endsWith('.env') || base === '.envrc' || base.startsWith('.env.')) return 'dotenv';
  if (base === '.pgpass' || base === 'pgpass' || base.endsWith('.pgpass')) return 'pgpass';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return 'variable';
  const ext = base.slice(dot + 1);
  switch (ext) {
    case 'properties': return 'properties';
    case 'yaml': case 'yml': return 'yaml';
    case 'json': return 'json';
    case 'ini': case 'cfg': case 'cnf': return 'ini';
    case 'toml': return 'toml';
    case 'sql': return 'sql';
    case 'env': return 'dotenv';
  }
  if (DIRECTIVE_FILES.has(ext)) return 'directives';
  if (TEXT_EXTENSIONS.has(ext)) return 'text';
  // `spring.datasource.password`, `db.password`, `tls.key`: an extension no program claims,
  // so the whole key names the value (Spring Cloud Kubernetes reads such keys as properties).
  return 'variable';
}

/**
 * Reads `text` as the file `key` names and visits its entries. Returns the format read.
 * `.conf` files with `[section]` lines are INI (my.cnf, php.ini-style, Grafana); others are
 * directives (redis.conf, nginx.conf, postgresql.conf).
 */
export function readConfigFile(key: string, text: string, visit: Visit): ConfigFormat {
  let format = formatOf(key);
  if (format === 'directives' && hasSectionLine(text)) format = 'ini';
  switch (format) {
    case 'properties': readProperties(text, visit); break;
    case 'yaml': readYaml(text, visit); break;
    case 'json': readJson(text, visit); break;
    case 'ini': readIni(text, visit); break;
    case 'toml': readToml(text, visit); break;
    case 'dotenv': readDotenv(text, visit); break;
    case 'directives': readDirectives(text, visit); break;
    case 'pgpass': readPgpass(text, visit); break;
    // A document kept under a bare key (KServe's `credentials: {"s3": {"s3AccessKeyIDName": …}}`,
    // Argo CD's `dex.config`): its program parses it, so its own keys say what each value is.
    case 'variable': {
      const document = documentFormat(text);
      if (document === 'json') readJson(text, visit);
      else if (document === 'yaml') readYaml(text, visit);
      else visit({ name: key, value: text, line: 1 });
      break;
    }
    // An init script (`docker-entrypoint-initdb.d/*.sql`, `*.sh`, mongo `*.js`) creating users:
    // the statement's grammar says where the password is.
    case 'sql': case 'text': readSqlPasswords(text, visit); break;
  }
  return format;
}

/**
 * The value of a bare key is a whole document when it spans lines as JSON (`{`/`[` first) or
 * as YAML mappings (`name: value` lines); a one-line value is the variable's value.
 */
function documentFormat(text: string): 'json' | 'yaml' | undefined {
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) return 'json';
  if (!text.includes('\n')) return undefined;
  let lines = 0;
  let mappings = 0;
  forEachLineUntil(text, 64, (line) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    lines++;
    if (YAML_MAPPING_LINE.test(line)) mappings++;
  });
  return lines > 0 && mappings * 2 >= lines ? 'yaml' : undefined;
}
const YAML_MAPPING_LINE = /^[ \t]{0,64}(?:- )?[A-Za-z_][\w.-]{0,63}:(?:[ \t]|$)/;

/** Calls `each` on the first `max` lines only. */
function forEachLineUntil(text: string, max: number, each: (line: string) => void): void {
  let start = 0;
  for (let n = 0; n < max && start <= text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    each(text.slice(start, end));
    start = end + 1;
  }
}

/** Literal passwords of SQL and mongosh statements, as `password` entries on their lines. */
function readSqlPasswords(text: string, visit: Visit): void {
  let line = 1;
  let at = 0;
  for (const p of sqlPasswords(text)) {
    if (!p.literal) continue;
    for (let nl = text.indexOf('\n', at); nl >= 0 && nl < p.start; nl = text.indexOf('\n', nl + 1)) { line++; at = nl + 1; }
    visit({ name: 'password', value: p.value, line });
  }
}

// ---- lines ---------------------------------------------------------------------------------

/** Calls `each(line, number)` for every line (without its `\r\n` or `\n`). */
function forEachLine(text: string, each: (line: string, number: number) => void): void {
  let start = 0;
  let n = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    each(line, n++);
    start = end + 1;
  }
}

const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 12;

function leading(line: string): number {
  let i = 0;
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  return i;
}

function hasSectionLine(text: string): boolean {
  let found = false;
  forEachLine(text, (line) => {
    if (found) return;
    const t = line.trim();
    if (t.length > 2 && t[0] === '[' && t[t.length - 1] === ']' && !t.includes(' ')) found = true;
  });
  return found;
}

/** Removes one pair of matching quotes. */
function unquoted(v: string): string {
  const q = v[0];
  return v.length >= 2 && (q === '"' || q === "'") && v[v.length - 1] === q ? v.slice(1, -1) : v;
}

/** The value before an inline comment that starts with `marker` after a blank, outside quotes. */
function beforeComment(v: string, markers: string): string {
  let quote = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (quote) { if (c === quote) quote = ''; else if (c === '\\' && quote === '"') i++; continue; }
    if (c === '"' || c === "'") { if (i === 0 || isBlank(v.charCodeAt(i - 1)) || v[i - 1] === '=') quote = c; continue; }
    if (markers.includes(c) && (i === 0 || isBlank(v.charCodeAt(i - 1)))) return v.slice(0, i).trimEnd();
  }
  return v;
}

/**
 * Backslash escapes as Properties#load and the double-quoted strings of TOML, JSON, YAML and
 * dotenv read them: `\n`, `\t`, `\r`, `\f`, `\uXXXX`; any other `\x` is `x`.
 */
function readEscapes(v: string): string {
  if (!v.includes('\\')) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c !== '\\' || i + 1 >= v.length) { out += c; continue; }
    const e = v[++i]!;
    if (e === 'u' && /^[0-9A-Fa-f]{4}$/.test(v.slice(i + 1, i + 5))) { out += String.fromCharCode(parseInt(v.slice(i + 1, i + 5), 16)); i += 4; }
    else out += e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'f' ? '\f' : e;
  }
  return out;
}

/** A scalar as a quoting config grammar hands it over: quotes removed, escapes read. */
function scalar(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') return readEscapes(v.slice(1, -1));
  if (v.length >= 2 && v[0] === "'" && v[v.length - 1] === "'") return v.slice(1, -1).replaceAll("''", "'");
  return v;
}

// ---- java.util.Properties ------------------------------------------------------------------

/**
 * Properties#load: a natural line ending in an odd number of backslashes continues on the next,
 * whose leading blanks are dropped; `#` or `!` first on a line make a comment; the key ends at
 * the first unescaped `=`, `:` or blank, and one `=`/`:` with blanks around it separates it
 * from the value.
 */
function readProperties(text: string, visit: Visit): void {
  // The parts of one logical line, joined once at its end (slicing a growing string would
  // copy it at every continuation).
  let parts: string[] = [];
  let startLine = 0;
  forEachLine(text, (raw, n) => {
    let line: string;
    if (parts.length > 0) {
      line = raw.slice(leading(raw));
    } else {
      const lead = leading(raw);
      if (lead === raw.length || raw[lead] === '#' || raw[lead] === '!') return;
      startLine = n;
      line = raw.slice(lead);
    }
    let slashes = 0;
    for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) slashes++;
    if (slashes % 2 === 1) { parts.push(line.slice(0, -1)); return; }
    parts.push(line);
    propertyEntry(parts.join(''), startLine, visit);
    parts = [];
  });
  if (parts.length > 0) propertyEntry(parts.join(''), startLine, visit);
}

function propertyEntry(line: string, number: number, visit: Visit): void {
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '\\') { i += 2; continue; }
    if (c === '=' || c === ':' || isBlank(line.charCodeAt(i))) break;
    i++;
  }
  const key = readEscapes(line.slice(0, i));
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  if (line[i] === '=' || line[i] === ':') i++;
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  visit({ name: key, value: readEscapes(line.slice(i)), line: number });
}

// ---- INI, my.cnf, Grafana, configparser -----------------------------------------------------

/** `[section]` then `key = value` or `key: value`; `;` and `#` comment lines; a bare key is a flag. */
function readIni(text: string, visit: Visit): void {
  forEachLine(text, (line, n) => {
    const t = line.trim();
    if (t === '' || t[0] === ';' || t[0] === '#' || t[0] === '[') return;
    let sep = -1;
    for (let i = 0; i < t.length; i++) if (t[i] === '=' || t[i] === ':') { sep = i; break; }
    if (sep <= 0) return;
    const key = t.slice(0, sep).trim();
    const value = scalar(beforeComment(t.slice(sep + 1).trim(), ';#'));
    visit({ name: key, value, line: n });
  });
}

// ---- dotenv --------------------------------------------------------------------------------

/** `KEY=value`, `export KEY="value"`; `#` lines and ` #` after an unquoted value are comments. */
function readDotenv(text: string, visit: Visit): void {
  forEachLine(text, (line, n) => {
    let t = line.trim();
    if (t === '' || t[0] === '#') return;
    if (t.startsWith('export ')) t = t.slice(7).trimStart();
    const eq = t.indexOf('=');
    if (eq <= 0) return;
    const key = t.slice(0, eq).trim();
    const raw = t.slice(eq + 1).trim();
    const value = raw[0] === '"' || raw[0] === "'" ? scalar(quotedPrefix(raw)) : beforeComment(raw, '#');
    visit({ name: key, value, line: n });
  });
}

/** The quoted string a value starts with, quotes included (what follows is a comment). */
function quotedPrefix(raw: string): string {
  const q = raw[0]!;
  for (let i = 1; i < raw.length; i++) {
    if (raw[i] === '\\' && q === '"') { i++; continue; }
    if (raw[i] === q) return raw.slice(0, i + 1);
  }
  return raw;
}

// ---- .pgpass -------------------------------------------------------------------------------

/** libpq: `hostname:port:database:username:password`, `\:` and `\\` escaped, `#` comments. */
function readPgpass(text: string, visit: Visit): void {
  forEachLine(text, (line, n) => {
    if (line.trim() === '' || line.trimStart()[0] === '#') return;
    let field = 0;
    let value = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (c === '\\' && i + 1 < line.length) { if (field === 4) value += line[i + 1]; i++; continue; }
      if (c === ':' && field < 4) { field++; continue; }
      if (field === 4) value += c;
    }
    if (field === 4) visit({ name: 'password', value, line: n });
  });
}

// ---- directives: redis.conf, nginx, postgresql.conf and kin ---------------------------------

/** Directives that set a header: the header name and value follow. */
const HEADER_DIRECTIVES = new Set(['proxy_set_header', 'grpc_set_header', 'add_header', 'more_set_headers', 'more_set_input_headers', 'proxy_set_header_authorization', 'requestheader', 'header']);
/** Directives whose first argument names a variable and the second sets it. */
const SETTER_DIRECTIVES = new Set(['set', 'fastcgi_param', 'uwsgi_param', 'scgi_param', 'env', 'setenv', 'passenv']);
/** redis.conf, sentinel.conf, valkey, keydb: directives whose argument is a password (their manuals). */
const PASSWORD_DIRECTIVES = new Set(['requirepass', 'masterauth', 'tls-key-file-pass', 'tls-client-key-file-pass', 'primaryauth', 'sentinel-pass']);

/**
 * A line is `name args…` (redis, nginx; `;`, `{` and `}` end statements) or `name = value`
 * (postgresql.conf, pgbouncer without sections). `#` starts a comment outside quotes.
 */
function readDirectives(text: string, visit: Visit): void {
  forEachLine(text, (line, n) => {
    for (const statement of statements(line)) directive(statement, n, visit);
  });
}

/** The statements of one line: split at `;`, `{` and `}` outside quotes, comment dropped. */
function statements(line: string): string[] {
  const out: string[] = [];
  let quote = '';
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) { if (c === '\\') i++; else if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || isBlank(line.charCodeAt(i - 1)))) { out.push(line.slice(start, i)); return out.filter((s) => s.trim() !== ''); }
    else if (c === ';' || c === '{' || c === '}') { out.push(line.slice(start, i)); start = i + 1; }
  }
  out.push(line.slice(start));
  return out.filter((s) => s.trim() !== '');
}

/** Blank-separated words, quotes grouping and removed. */
function words(statement: string): string[] {
  const out: string[] = [];
  let word = '';
  let quote = '';
  let any = false;
  for (let i = 0; i < statement.length; i++) {
    const c = statement[i]!;
    if (quote) {
      if (c === '\\' && i + 1 < statement.length) { word += statement[++i]; continue; }
      if (c === quote) quote = ''; else word += c;
      continue;
    }
    if (c === '"' || c === "'") { quote = c; any = true; continue; }
    if (isBlank(statement.charCodeAt(i))) { if (any) out.push(word); word = ''; any = false; continue; }
    word += c;
    any = true;
  }
  if (any) out.push(word);
  return out;
}

function directive(statement: string, n: number, visit: Visit): void {
  const t = statement.trim();
  // `name = value`: a setting (postgresql.conf `primary_conninfo = '…'`).
  const eq = t.indexOf('=');
  const settingName = eq > 0 ? t.slice(0, eq).trim() : '';
  if (settingName !== '' && !settingName.includes(' ') && !settingName.includes('\t')) {
    visit({ name: settingName, value: scalar(t.slice(eq + 1)), line: n });
    return;
  }
  const w = words(t);
  if (w.length < 2) return;
  const name = w[0]!.toLowerCase();
  if (HEADER_DIRECTIVES.has(name) && w.length >= 3) {
    visit({ name: w[1]!, value: w.slice(2).join(' '), line: n, header: true });
  } else if (SETTER_DIRECTIVES.has(name) && w.length >= 3) {
    visit({ name: w[1]!.replace(/^\$/, ''), value: w[2]!, line: n });
  } else if (PASSWORD_DIRECTIVES.has(name)) {
    visit({ name: 'password', value: w[1]!, line: n });
  } else if (name === 'user') {
    // redis ACL: `user app on >password ~* +@all`; `#<sha256>` is a hash, not the password.
    for (const a of w.slice(2)) if (a.length > 1 && a[0] === '>') visit({ name: 'password', value: a.slice(1), line: n });
  } else if (name === 'sentinel' && w[1]?.toLowerCase() === 'auth-pass' && w.length >= 4) {
    visit({ name: 'password', value: w[3]!, line: n });
  } else {
    visit({ name: w[0]!, value: w.slice(1).join(' '), line: n });
    // `user admin insecure-password x` (HAProxy userlist): a password word followed by its value.
    for (let i = 1; i + 1 < w.length; i++) {
      if (w[i]!.toLowerCase() === 'insecure-password') visit({ name: 'password', value: w[i + 1]!, line: n });
    }
  }
}

// ---- TOML ----------------------------------------------------------------------------------

/** `key = value` under `[table]`; multi-line strings and inline tables are read whole. */
function readToml(text: string, visit: Visit): void {
  let pending: { name: string; line: number; close: string; value: string } | undefined;
  forEachLine(text, (line, n) => {
    if (pending) {
      const end = line.indexOf(pending.close);
      if (end < 0) { pending.value += `${line}\n`; return; }
      visit({ name: pending.name, value: pending.value + line.slice(0, end), line: pending.line });
      pending = undefined;
      return;
    }
    const t = line.trim();
    if (t === '' || t[0] === '#' || t[0] === '[') return;
    const eq = tomlKeyEnd(t);
    if (eq <= 0) return;
    const key = tomlLastKey(t.slice(0, eq).trim());
    const raw = t.slice(eq + 1).trim();
    for (const close of ['"""', "'''"]) {
      if (raw.startsWith(close)) {
        const rest = raw.slice(3);
        const end = rest.indexOf(close);
        if (end >= 0) visit({ name: key, value: rest.slice(0, end), line: n });
        else pending = { name: key, line: n, close, value: rest === '' ? '' : `${rest}\n` };
        return;
      }
    }
    if (raw[0] === '{') { inlineTable(raw, n, visit); return; }
    visit({ name: key, value: raw[0] === '"' || raw[0] === "'" ? scalar(quotedPrefix(raw)) : beforeComment(raw, '#'), line: n });
  });
}

/** The `=` after a (possibly quoted, dotted) key. */
function tomlKeyEnd(t: string): number {
  let quote = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '=') return i;
  }
  return -1;
}

/** `a.b."c.d"` -> `c.d`: the last part of a dotted key names the value. */
function tomlLastKey(key: string): string {
  const parts = splitOutsideQuotes(key, '.');
  return unquoted(parts[parts.length - 1]!.trim());
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let quote = '';
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) { if (c === '\\' && quote === '"') i++; else if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === sep && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
  }
  out.push(text.slice(start));
  return out;
}

/** `{ user = "u", password = "p" }`: each pair, one level deep (deeper tables are read as values). */
function inlineTable(raw: string, n: number, visit: Visit): void {
  const close = raw.lastIndexOf('}');
  const body = raw.slice(1, close < 0 ? raw.length : close);
  for (const pair of splitOutsideQuotes(body, ',')) {
    const eq = tomlKeyEnd(pair);
    if (eq <= 0) continue;
    visit({ name: tomlLastKey(pair.slice(0, eq).trim()), value: scalar(pair.slice(eq + 1)), line: n });
  }
}

// ---- JSON ----------------------------------------------------------------------------------

/**
 * A tolerant JSON scanner: each string or number value with the key it stands under (an array
 * element stands under the array's key). One pass, a stack of keys bounded by the nesting.
 */
function readJson(text: string, visit: Visit): void {
  const keys: string[] = [];
  const containers: string[] = [];
  let lastKey = '';
  let expectKey = false;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') { line++; continue; }
    if (c === '{' || c === '[') { containers.push(c); keys.push(lastKey); expectKey = c === '{'; continue; }
    if (c === '}' || c === ']') { containers.pop(); lastKey = keys.pop() ?? ''; expectKey = false; continue; }
    if (c === ',') { expectKey = containers[containers.length - 1] === '{'; if (!expectKey) lastKey = keys[keys.length - 1] ?? ''; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      const s = readEscapes(text.slice(i + 1, Math.min(j, text.length)));
      if (expectKey) { lastKey = s; expectKey = false; }
      // An array's items are a list, not the one value its key names: judged by form only.
      else visit({ name: containers[containers.length - 1] === '[' ? '' : lastKey, value: s, line });
      i = j;
      continue;
    }
    if ((c >= '0' && c <= '9') || c === '-') {
      let j = i;
      while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++;
      if (!expectKey) visit({ name: containers[containers.length - 1] === '[' ? '' : lastKey, value: text.slice(i, j), line });
      i = j - 1;
    }
  }
}

// ---- YAML ----------------------------------------------------------------------------------

/**
 * A line reader for block YAML: `key: value` and `- key: value` with the key stack kept by
 * indentation, block scalars (`|`, `>`) read as one value, flow collections (`{…}`, `[…]`)
 * read with the JSON scanner, comments dropped, anchors and tags stripped, aliases skipped.
 * Linear, and it keeps reading past a line a YAML parser would reject (a ConfigMap value is
 * not validated by anyone before the program reads it).
 */
function readYaml(text: string, visit: Visit): void {
  let block: { name: string; line: number; keyIndent: number; contentIndent: number; value: string } | undefined;
  // `- name: DB_PASSWORD` then `value: x` at the same indentation: the value stands under that name.
  let sibling: { indent: number; name: string } | undefined;
  forEachLine(text, (line, n) => {
    const lead = leading(line);
    if (block) {
      if (lead === line.length) { block.value += '\n'; return; }
      if (lead > block.keyIndent) {
        if (block.contentIndent < 0) block.contentIndent = lead;
        block.value += `${line.slice(Math.min(lead, block.contentIndent))}\n`;
        return;
      }
      visit({ name: block.name, value: block.value, line: block.line });
      block = undefined;
    }
    let t = line.slice(lead);
    if (t === '' || t[0] === '#' || t.startsWith('---') || t.startsWith('...') || t[0] === '%') return;
    // `- key: value` and `- value`: a sequence item; its key sits where the dash's content starts.
    let indent = lead;
    let item = false;
    while (t.startsWith('- ') || t === '-') {
      const rest = t.slice(1);
      const more = leading(rest);
      indent += 1 + more;
      t = rest.slice(more);
      item = true;
    }
    if (t === '') return;
    if (sibling && (indent < sibling.indent || (item && indent === sibling.indent))) sibling = undefined;
    const colon = yamlKeyEnd(t);
    if (colon < 0) return;
    const key = unquoted(t.slice(0, colon).trim());
    let raw = beforeComment(t.slice(colon + 1).trim(), '#');
    raw = stripAnchorAndTag(raw);
    if (raw === '' || raw[0] === '*') return;
    const name = key === 'value' && sibling?.indent === indent ? sibling.name : key;
    if (raw[0] === '|' || raw[0] === '>') { block = { name, line: n, keyIndent: indent, contentIndent: -1, value: '' }; return; }
    // A flow sequence is a list, not the one value its key names (`secret: [status, secret]` is
    // a kube-state-metrics path); its items are judged by their form only.
    if (raw[0] === '[') { readJson(flowAsJson(raw), (e) => visit({ ...e, line: n })); return; }
    if (raw[0] === '{') { readJson(flowAsJson(raw), (e) => visit({ ...e, name: e.name || name, line: n })); return; }
    const value = scalar(raw);
    if (key === 'name' || key === 'key') sibling = { indent, name: value };
    visit({ name, value, line: n });
  });
  if (block) visit({ name: block.name, value: block.value, line: block.line });
}

/** The `:` that ends a mapping key: followed by a blank or the end, outside quotes. */
function yamlKeyEnd(t: string): number {
  let quote = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (quote) { if (c === quote) quote = ''; continue; }
    if (i === 0 && (c === '"' || c === "'")) { quote = c; continue; }
    if (c === '#' && i > 0 && isBlank(t.charCodeAt(i - 1))) return -1;
    if (c === ':' && (i + 1 === t.length || isBlank(t.charCodeAt(i + 1)))) return i;
  }
  return -1;
}

function stripAnchorAndTag(raw: string): string {
  let v = raw;
  for (let k = 0; k < 2 && (v[0] === '&' || v[0] === '!'); k++) {
    const sp = v.search(/[ \t]/);
    v = sp < 0 ? '' : v.slice(sp).trimStart();
  }
  return v;
}

/** `{user: u, password: "p"}` -> JSON-ish text the scanner reads: bare words quoted. */
function flowAsJson(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < raw.length && raw[j] !== c) j += raw[j] === '\\' && c === '"' ? 2 : 1;
      out += `"${raw.slice(i + 1, Math.min(j, raw.length)).replaceAll('"', '\\"')}"`;
      i = j + 1;
    } else if ('{}[],'.includes(c)) {
      out += c; i++;
    } else if (c === ':' && (i + 1 === raw.length || isBlank(raw.charCodeAt(i + 1)))) {
      out += ':'; i++;
    } else if (isBlank(raw.charCodeAt(i))) {
      i++;
    } else {
      let j = i;
      while (j < raw.length && !'{}[],'.includes(raw[j]!) && !(raw[j] === ':' && (j + 1 === raw.length || isBlank(raw.charCodeAt(j + 1))))) j++;
      out += JSON.stringify(raw.slice(i, j).trim());
      i = j;
    }
  }
  return out;
}
