// plaintext-credential: literal credentials in env values, command and args.
//
// Facts learned from detect-secrets (keyword + high-entropy plugins), gitleaks (token format
// rules), secretlint and KICS/Polaris (env-name keyword checks). Their common false positives
// are settings that merely contain a keyword (TOKEN_TTL, PASSWORD_POLICY, SECRET_NAME,
// PASSWORD_FILE), references, paths and numbers; we avoid them by:
// - matching names by token (DB_PASSWORD, dbPassword, db.password), never by substring
//   ("bypass", "passport" and "monkey" are not credentials);
// - treating a name whose tokens include a setting word (ttl, timeout, file, path, url, name,
//   header, policy, ...) as a setting, not a credential;
// - never flagging values that are references ($VAR, or OPAQUE: a value the object does not
//   hold, see objects/expand.ts), empty, numbers, booleans, durations, absolute or relative
//   paths, or obvious placeholders (<password>, ***); literal text next to a reference is
//   still judged, since `$(EMPTY)hunter2` delivers hunter2;
// - recognising well-known token formats whatever the variable is called.
// A finding carries the location and the kind of credential, never the value.

import { RE2JS } from 're2js';
import { OPAQUE } from '../objects/expand.ts';
import type { ConfigMapSourced } from '../objects/texts.ts';
import { identifierWords, urlSpans } from './scan.ts';
import { argvGroups, argvWords, programName, SEPARATOR } from './shell.ts';
import type { CredentialFinding, CredentialSettings, ScannedText } from './types.ts';

/** An organisation's own token format, run on RE2: linear in the text whatever the pattern. */
interface ExtraPattern { name: string; regex: { test(text: string): boolean } }

export interface CompiledCredentialSettings {
  sensitive: ReadonlySet<string>;
  extraNames: readonly string[];
  extraPatterns: readonly ExtraPattern[];
}

const SENSITIVE_TOKENS = ['password', 'passwd', 'pwd', 'pass', 'secret', 'token', 'apikey', 'passphrase', 'credential', 'credentials', 'privatekey', 'secretkey', 'accesskey', 'authtoken'];
/** Keywords long enough to recognise when glued to a prefix: PGPASSWORD, WEBHOOKSECRET, AUTHTOKEN. */
const GLUED_SUFFIXES = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey'];
/** Pairs of adjacent tokens that together name a credential. */
const SENSITIVE_PAIRS = ['api_key', 'access_key', 'private_key', 'secret_key', 'client_secret', 'auth_token', 'signing_key', 'encryption_key', 'master_key', 'account_key', 'session_key', 'app_key', 'license_key'];
/** Tokens that make a name a setting about a credential rather than the credential itself. */
const SETTING_TOKENS = new Set([
  'ttl', 'timeout', 'expiry', 'expires', 'expiration', 'expire', 'length', 'len', 'policy', 'policies', 'name', 'names', 'file', 'files',
  'path', 'dir', 'directory', 'url', 'uri', 'endpoint', 'header', 'type', 'enabled', 'enable', 'disabled', 'disable', 'algorithm', 'algo',
  'ref', 'id', 'mode', 'format', 'size', 'count', 'retries', 'interval', 'age', 'lifetime', 'version', 'prefix', 'field', 'stdin',
  'min', 'max', 'minimum', 'maximum', 'hash', 'rotation', 'refresh', 'required', 'require', 'location', 'mount', 'volume', 'store',
  'provider', 'issuer', 'audience', 'scope', 'scopes', 'cache', 'reset', 'strength', 'complexity', 'hint', 'label', 'keys', 'duration', 'delay',
]);

// Token formats. Only presence matters (test, not extraction), so a minimum length is written
// as an exact count ({20}, not {20,}): the same strings match, and nothing rescans a long run.
// Prefixes and lengths are facts published by the issuers and collected by gitleaks.
export const FORMATS: readonly { what: string; regex: RegExp }[] = [
  { what: 'PEM private key', regex: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----/ },
  { what: 'AWS access key ID', regex: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  { what: 'GitHub token', regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40})/ },
  { what: 'GitLab token', regex: /\bglpat-[A-Za-z0-9_-]{20}/ },
  { what: 'Slack token', regex: /\bxox[abposr]-[A-Za-z0-9-]{10}/ },
  { what: 'Slack webhook URL', regex: /hooks\.slack\.com\/services\/T[A-Za-z0-9_]{6,}\/B[A-Za-z0-9_]{6,}\/[A-Za-z0-9_]{16}/ },
  { what: 'Stripe secret key', regex: /\b(?:sk|rk)_live_[A-Za-z0-9]{20}/ },
  { what: 'npm token', regex: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { what: 'SendGrid API key', regex: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/ },
  { what: 'Google API key', regex: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  // Legacy keys are sk-<20>T3BlbkFJ<20>; project, service-account and admin keys put 58 or 74
  // characters before the marker.
  { what: 'OpenAI API key', regex: /\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{58,74}|[A-Za-z0-9]{20})T3BlbkFJ/ },
  { what: 'Azure storage account key', regex: /AccountKey=[A-Za-z0-9+/]{40}/ },
];

/** A JWT: three base64url segments, the first two JSON objects ("eyJ" is base64 of '{"'). */
const JWT_TAIL = /\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8}/g;

// Keyword-anchored scans: each regex finds where a value starts, a sticky regex reads the value,
// and the next search resumes after it, so no character is read by two attempts.
const CONN_KEY = /(?:^|[;\s])(?:password|pwd)\s*=\s*/gi;
const AUTH_KEY = /\bauthorization\s*[:=]\s*(?:bearer|basic|token)\s+/gi;
const API_KEY_KEY = /\bx-api-key\s*:\s*/gi;
const CONN_VALUE = /'[^']*'|"[^"]*"|[^;\s]+/y;
const HEADER_VALUE = /[^\s"',;]+/y;

/** A whole value that names a variable some program expands: $VAR, %VAR%. */
const REFERENCE = /^(?:\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_]+%)$/;
/** An authentication scheme word written next to a reference: `Bearer $(TOKEN)`. */
const AUTH_SCHEME = /^(?:bearer|basic|token|digest|negotiate)$/i;
const ALNUM = /[A-Za-z0-9]/;
const PLACEHOLDER = /^(?:<[^>]*>|\*+|x{3,}|X{3,}|\.{3,}|-+|redacted|\[redacted\]|none|null|nil|undefined|n\/a|todo|empty|secret|password|token)$/i;
const NUMBER = /^[-+]?\d+(?:\.\d+)?$/;
const BOOLEAN = /^(?:true|false|yes|no|on|off|enabled|disabled)$/i;
const DURATION = /^\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w|y|sec|secs|min|mins|hours?|days?)$/i;
const PATHLIKE = /^(?:\/|\.\.?\/|~\/|[A-Za-z]:\\)\S*$/;
const HEADER_NAME = /^(?:x-[a-z0-9-]+|authorization|proxy-authorization|cookie)$/i;
const URL_ONLY = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;

/** Every regular expression of this rule, for the ReDoS check in the tests. */
export const CREDENTIAL_REGEXES: readonly RegExp[] = [
  ...FORMATS.map((f) => f.regex), JWT_TAIL, CONN_KEY, AUTH_KEY, API_KEY_KEY, CONN_VALUE, HEADER_VALUE,
  REFERENCE, AUTH_SCHEME, ALNUM, PLACEHOLDER, NUMBER, BOOLEAN, DURATION, PATHLIKE, HEADER_NAME, URL_ONLY,
];

export function compileCredentialSettings(s: CredentialSettings): CompiledCredentialSettings {
  const extraPatterns = s.extraPatterns.map(({ name, pattern }) => {
    try {
      return { name, regex: RE2JS.compile(pattern) };
    } catch (err) {
      throw new Error(`credentials.extraPatterns "${name}": not a valid RE2 regular expression (RE2 runs in linear time, so it has no lookaround and no backreferences): ${(err as Error).message}`);
    }
  });
  const extraNames = s.sensitiveNames.map((n) => tokens(n).join('_')).filter((n) => n !== '');
  return { sensitive: new Set(SENSITIVE_TOKENS), extraNames, extraPatterns };
}

/** DB_PASSWORD, dbPassword, db-password, db.password -> ["db", "password"]. */
export const tokens = identifierWords;

/** The name designates a credential (not a setting about one). */
export function isSensitiveName(name: string, s: CompiledCredentialSettings): boolean {
  const t = tokens(name);
  if (t.length === 0 || t.some((x) => SETTING_TOKENS.has(x))) return false;
  if (t.some((x) => s.sensitive.has(x) || GLUED_SUFFIXES.some((k) => x.endsWith(k)))) return true;
  const joined = `_${t.join('_')}_`;
  return SENSITIVE_PAIRS.some((p) => joined.includes(`_${p}_`)) || s.extraNames.some((p) => joined.includes(`_${p}_`));
}

function unquote(v: string): string {
  const q = v[0];
  return v.length >= 2 && (q === '"' || q === "'") && v.endsWith(q) ? v.slice(1, -1) : v;
}

/** The value is a literal that could be a credential (not a reference, path, number...). */
export function isLiteralSecret(raw: string): boolean {
  if (!raw.includes(OPAQUE)) return isWholeLiteral(raw);
  // Literal parts next to a value the object does not hold are judged on their own: the
  // kubelet delivers them, and `$(EMPTY)hunter2` must not pass as a reference.
  for (const part of raw.split(OPAQUE)) {
    const p = part.trim();
    if (ALNUM.test(p) && !AUTH_SCHEME.test(p) && isWholeLiteral(p)) return true;
  }
  return false;
}

function isWholeLiteral(raw: string): boolean {
  // No length limit: padding must not hide a password, and a long literal under a sensitive
  // name (a private key in SSH_KEY_PASSPHRASE...) is still a credential.
  const v = unquote(raw.trim());
  if (v === '') return false;
  return !(REFERENCE.test(v) || PLACEHOLDER.test(v) || NUMBER.test(v) || BOOLEAN.test(v) || DURATION.test(v) || PATHLIKE.test(v) || HEADER_NAME.test(v) || URL_ONLY.test(v));
}

function hasJwt(text: string): boolean {
  JWT_TAIL.lastIndex = 0;
  for (let m = JWT_TAIL.exec(text); m; m = JWT_TAIL.exec(text)) {
    // The first segment is the run of base64url characters before the dot; the runs before
    // different dots are disjoint, so walking back stays linear.
    let s = m.index;
    while (s > 0 && /[A-Za-z0-9_-]/.test(text[s - 1]!)) s--;
    if (m.index - s >= 11 && text.startsWith('eyJ', s) && (s === 0 || !/\w/.test(text[s - 1]!))) return true;
  }
  return false;
}

/** The first value after `key` (a global regex) that is a literal secret. */
function literalAfter(text: string, key: RegExp, value: RegExp): boolean {
  key.lastIndex = 0;
  for (let m = key.exec(text); m; m = key.exec(text)) {
    value.lastIndex = key.lastIndex;
    const v = value.exec(text);
    if (v && isLiteralSecret(v[0])) return true;
    if (v) key.lastIndex = value.lastIndex;
  }
  return false;
}

/** Credential embedded in a free text (any field): formats, URLs, connection strings, headers. */
function inText(text: string, s: CompiledCredentialSettings): string | undefined {
  for (const f of FORMATS) if (f.regex.test(text)) return f.what;
  if (text.includes('.eyJ') && hasJwt(text)) return 'JWT';
  for (const p of s.extraPatterns) if (p.regex.test(text)) return `matches pattern "${p.name}"`;
  if (text.includes('://') && text.includes('@')) {
    for (const u of urlSpans(text)) {
      if (u.password !== undefined && u.user !== undefined && !u.user.includes(':') && isLiteralSecret(u.password)) return 'password in URL';
    }
  }
  if (literalAfter(text, CONN_KEY, CONN_VALUE)) return 'password in connection string';
  if (literalAfter(text, AUTH_KEY, HEADER_VALUE) || literalAfter(text, API_KEY_KEY, HEADER_VALUE)) return 'credential in an HTTP header';
  return undefined;
}

const MYSQL_CLIENTS = /(^|\/)(mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport|mysqlshow)$/;
/** Tools whose one-letter flag takes a password as the next word (their manuals say so). */
const PASSWORD_SHORT_FLAGS = new Map([
  ['redis-cli', '-a'], ['valkey-cli', '-a'], ['keydb-cli', '-a'], ['sshpass', '-p'],
  ['ldapsearch', '-w'], ['ldapmodify', '-w'], ['ldapadd', '-w'], ['ldapdelete', '-w'], ['ldapwhoami', '-w'], ['ldappasswd', '-w'],
  ['mongo', '-p'], ['mongosh', '-p'], ['mongodump', '-p'], ['mongorestore', '-p'], ['mongoexport', '-p'], ['mongoimport', '-p'],
]);
/** `docker login -p`, `podman login -p`, `helm registry login -p`: the subcommand decides. */
const LOGIN_TOOLS = new Set(['docker', 'podman', 'buildah', 'skopeo', 'nerdctl', 'helm', 'oras', 'crane']);
const CURL_LIKE = /(^|\/)(curl|wget)$/;
const FLAG = /^--?([A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?$/s;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const USER_PASSWORD = /^[^:\s]+:./s;

/** The argv regular expressions, for the ReDoS check in the tests. */
export const ARGV_REGEXES: readonly RegExp[] = [MYSQL_CLIENTS, CURL_LIKE, FLAG, ASSIGNMENT, USER_PASSWORD];

/**
 * Credentials passed on a command line: --password=x, --token x, -pSECRET (mysql), -u user:pw
 * (curl), a tool's password flag (redis-cli -a x, sshpass -p x, docker login -p x), NAME=x inline.
 */
function inArgv(words: readonly { word: string; text: number }[], s: CompiledCredentialSettings): Map<number, string> {
  const found = new Map<number, string>();
  // Classified once per command: testing the program on every word would rescan a long one.
  let mysql = false;
  let curl = false;
  let login = false;
  let shortFlag: string | undefined;
  let startOfCommand = true;
  for (let i = 0; i < words.length; i++) {
    const { word, text } = words[i]!;
    if (word === SEPARATOR) { startOfCommand = true; continue; }
    const next = words[i + 1];
    const flag = FLAG.exec(word);
    const assign = ASSIGNMENT.exec(word);
    if (assign) {
      // Environment assignment in a script: PGPASSWORD=x psql ..., export API_TOKEN=x, env K=V cmd
      if (isSensitiveName(assign[1]!, s) && isLiteralSecret(assign[2]!)) found.set(text, 'password on the command line');
      continue;
    }
    if (startOfCommand) {
      mysql = MYSQL_CLIENTS.test(word);
      curl = CURL_LIKE.test(word);
      const program = programName(word);
      shortFlag = PASSWORD_SHORT_FLAGS.get(program);
      login = LOGIN_TOOLS.has(program);
      startOfCommand = false;
    }
    if (login && word === 'login') shortFlag = '-p';
    if (shortFlag !== undefined && word === shortFlag && next && next.word !== SEPARATOR && !next.word.startsWith('-') && isLiteralSecret(next.word)) {
      found.set(next.text, 'password on the command line');
      continue;
    }
    if (mysql && word.length > 2 && word.startsWith('-p') && isLiteralSecret(word.slice(2))) {
      found.set(text, 'password on the command line');
      continue;
    }
    if (!flag) continue;
    const [, name, inline] = flag;
    if (curl && (word === '-u' || word === '--user') && next && next.word !== SEPARATOR && USER_PASSWORD.test(next.word)
      && isLiteralSecret(next.word.slice(next.word.indexOf(':') + 1))) {
      found.set(next.text, 'password on the command line');
    } else if (name!.length > 1 && isSensitiveName(name!, s)) {
      if (inline !== undefined) {
        if (isLiteralSecret(inline)) found.set(text, 'credential on the command line');
      } else if (next && next.word !== SEPARATOR && !next.word.startsWith('-') && isLiteralSecret(next.word)) {
        found.set(next.text, 'credential on the command line');
      }
    }
  }
  return found;
}

/** Headers whose value is a credential after its scheme word: `Authorization: Bearer x`. */
const AUTH_HEADERS = new Set(['authorization', 'proxy-authorization']);

/** An HTTP header the kubelet sends: by its name, then by its value like any text. */
function inHeader(name: string, value: string, s: CompiledCredentialSettings): string | undefined {
  const lower = name.trim().toLowerCase();
  if (AUTH_HEADERS.has(lower)) {
    const space = value.trim().indexOf(' ');
    const credential = space > 0 && AUTH_SCHEME.test(value.trim().slice(0, space)) ? value.trim().slice(space + 1) : value;
    if (isLiteralSecret(credential)) return 'credential in an HTTP header';
  } else if (isSensitiveName(name, s) && isLiteralSecret(value)) {
    return 'credential in an HTTP header';
  }
  return undefined;
}

/** The text is a credential by its name alone (a sensitive variable or header): its hosts are not shown either. */
export function hasSensitiveName(t: ScannedText, s: CompiledCredentialSettings): boolean {
  if (t.envName === undefined) return false;
  if (t.field === 'header' && AUTH_HEADERS.has(t.envName.trim().toLowerCase())) return true;
  return (t.field === 'env' || t.field === 'header') && isSensitiveName(t.envName, s);
}

export function findCredentials(texts: readonly ScannedText[], s: CompiledCredentialSettings): CredentialFinding[] {
  const found = new Map<ScannedText, string>();
  for (const t of texts) {
    let what: string | undefined;
    if (t.field === 'env' && t.envName !== undefined && isSensitiveName(t.envName, s) && isLiteralSecret(t.value)) {
      what = 'sensitive variable name with a literal value';
    } else if (t.field === 'header' && t.envName !== undefined) {
      what = inHeader(t.envName, t.value, s);
    }
    what ??= inText(t.value, s);
    if (what) found.set(t, what);
  }
  for (const group of argvGroups(texts)) {
    for (const [k, what] of inArgv(argvWords(group), s)) {
      if (!found.has(group[k]!)) found.set(group[k]!, what);
    }
  }
  return texts.filter((t) => found.has(t)).map((t) => ({ path: t.path, what: found.get(t)! }));
}

/** A sensitive-named variable read from a ConfigMap: a credential kept where any reader of ConfigMaps sees it. */
export function findConfigMapCredentials(sourced: readonly ConfigMapSourced[], s: CompiledCredentialSettings): CredentialFinding[] {
  return sourced.filter((c) => isSensitiveName(c.envName, s)).map((c) => ({ path: c.path, what: 'sensitive variable read from a ConfigMap', fromConfigMap: true }));
}
