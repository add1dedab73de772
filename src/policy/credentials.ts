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
// - never flagging values that are references ($(VAR), ${VAR}, $VAR), empty, numbers,
//   booleans, durations, absolute or relative paths, or obvious placeholders (<password>, ***);
// - recognising well-known token formats whatever the variable is called.
// A finding carries the location and the kind of credential, never the value.

import { argvWords, SEPARATOR } from './shell.ts';
import type { CredentialFinding, CredentialSettings, ScannedText } from './types.ts';

export interface CompiledCredentialSettings {
  sensitive: ReadonlySet<string>;
  extraNames: readonly string[];
  extraPatterns: readonly { name: string; regex: RegExp }[];
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

const FORMATS: readonly { what: string; regex: RegExp }[] = [
  { what: 'PEM private key', regex: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----/ },
  { what: 'AWS access key ID', regex: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  { what: 'GitHub token', regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,255})\b/ },
  { what: 'GitLab token', regex: /\bglpat-[A-Za-z0-9_-]{20,}/ },
  { what: 'Slack token', regex: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  { what: 'Slack webhook URL', regex: /hooks\.slack\.com\/services\/T[A-Za-z0-9_]{6,}\/B[A-Za-z0-9_]{6,}\/[A-Za-z0-9_]{16,}/ },
  { what: 'Stripe secret key', regex: /\b(?:sk|rk)_live_[A-Za-z0-9]{20,}/ },
  { what: 'npm token', regex: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { what: 'SendGrid API key', regex: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/ },
  { what: 'Google API key', regex: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { what: 'OpenAI API key', regex: /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}/ },
  { what: 'Azure storage account key', regex: /AccountKey=[A-Za-z0-9+/]{40,}={0,2}/ },
  { what: 'JWT', regex: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
];

const URL_PASSWORD = /[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:@/'"]{0,256}:([^\s@/'"]{1,512})@/i;
const CONN_PASSWORD = /(?:^|[;\s])(?:password|pwd)\s*=\s*('[^']*'|"[^"]*"|[^;\s]+)/i;
const AUTH_HEADER = /\bauthorization\s*[:=]\s*(?:bearer|basic|token)\s+([^\s"',;]+)/i;
const API_KEY_HEADER = /\bx-api-key\s*:\s*([^\s"',;]+)/i;

const REFERENCE = /^(?:\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|%[A-Za-z_]+%)$/;
const PLACEHOLDER = /^(?:<[^>]*>|\*+|x{3,}|X{3,}|\.{3,}|-+|redacted|\[redacted\]|none|null|nil|undefined|n\/a|todo|empty|secret|password|token)$/i;
const NUMBER = /^[-+]?\d+(?:\.\d+)?$/;
const BOOLEAN = /^(?:true|false|yes|no|on|off|enabled|disabled)$/i;
const DURATION = /^\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w|y|sec|secs|min|mins|hours?|days?)$/i;
const PATHLIKE = /^(?:\/|\.\.?\/|~\/|[A-Za-z]:\\)[^\s]*$/;
const HEADER_NAME = /^(?:x-[a-z0-9-]+|authorization|proxy-authorization|cookie)$/i;
const URL_ONLY = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;

export function compileCredentialSettings(s: CredentialSettings): CompiledCredentialSettings {
  const extraPatterns = s.extraPatterns.map(({ name, pattern }) => {
    try {
      return { name, regex: new RegExp(pattern) };
    } catch (err) {
      throw new Error(`credentials.extraPatterns "${name}": invalid regular expression: ${(err as Error).message}`);
    }
  });
  const extraNames = s.sensitiveNames.map((n) => tokens(n).join('_')).filter((n) => n !== '');
  return { sensitive: new Set(SENSITIVE_TOKENS), extraNames, extraPatterns };
}

/** DB_PASSWORD, dbPassword, db-password, db.password -> ["db", "password"]. */
export function tokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== '');
}

/** The name designates a credential (not a setting about one). */
export function isSensitiveName(name: string, s: CompiledCredentialSettings): boolean {
  const t = tokens(name);
  if (t.length === 0 || t.some((x) => SETTING_TOKENS.has(x))) return false;
  if (t.some((x) => s.sensitive.has(x) || GLUED_SUFFIXES.some((k) => x.endsWith(k)))) return true;
  const joined = `_${t.join('_')}_`;
  return SENSITIVE_PAIRS.some((p) => joined.includes(`_${p}_`)) || s.extraNames.some((p) => joined.includes(`_${p}_`));
}

/** The value is a literal that could be a credential (not a reference, path, number...). */
export function isLiteralSecret(raw: string): boolean {
  const v = raw.trim().replace(/^(['"])(.*)\1$/, '$2');
  if (v === '' || v.length > 4096) return false;
  if (REFERENCE.test(v) || v.includes('$(') || /\$\{[^}]+\}/.test(v)) return false;
  return !(PLACEHOLDER.test(v) || NUMBER.test(v) || BOOLEAN.test(v) || DURATION.test(v) || PATHLIKE.test(v) || HEADER_NAME.test(v) || URL_ONLY.test(v));
}

/** Credential embedded in a free text (any field): formats, URLs, connection strings, headers. */
function inText(value: string, s: CompiledCredentialSettings): string | undefined {
  const text = value.length > 65536 ? value.slice(0, 65536) : value;
  for (const f of FORMATS) if (f.regex.test(text)) return f.what;
  for (const p of s.extraPatterns) if (p.regex.test(text)) return `matches pattern "${p.name}"`;
  const url = URL_PASSWORD.exec(text);
  if (url && isLiteralSecret(url[1]!)) return 'password in URL';
  const conn = CONN_PASSWORD.exec(text);
  if (conn && isLiteralSecret(conn[1]!)) return 'password in connection string';
  const auth = AUTH_HEADER.exec(text) ?? API_KEY_HEADER.exec(text);
  if (auth && isLiteralSecret(auth[1]!)) return 'credential in an HTTP header';
  return undefined;
}

const MYSQL_CLIENTS = /(^|\/)(mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport|mysqlshow)$/;
const CURL_LIKE = /(^|\/)(curl|wget)$/;

/** Credentials passed on a command line: --password=x, --token x, -pSECRET (mysql), -u user:pw (curl), NAME=x inline. */
function inArgv(words: readonly { word: string; text: number }[], s: CompiledCredentialSettings): Map<number, string> {
  const found = new Map<number, string>();
  let program = '';
  let startOfCommand = true;
  for (let i = 0; i < words.length; i++) {
    const { word, text } = words[i]!;
    if (word === SEPARATOR) { startOfCommand = true; continue; }
    const next = words[i + 1];
    const flag = /^--?([A-Za-z][A-Za-z0-9_.-]*)(?:=(.*))?$/s.exec(word);
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
    if (assign) {
      // Environment assignment in a script: PGPASSWORD=x psql ..., export API_TOKEN=x, env K=V cmd
      if (isSensitiveName(assign[1]!, s) && isLiteralSecret(assign[2]!)) found.set(text, 'password on the command line');
      continue;
    }
    if (startOfCommand) { program = word; startOfCommand = false; }
    if (MYSQL_CLIENTS.test(program) && /^-p.+/.test(word) && isLiteralSecret(word.slice(2))) {
      found.set(text, 'password on the command line');
      continue;
    }
    if (!flag) continue;
    const [, name, inline] = flag;
    if (CURL_LIKE.test(program) && (word === '-u' || word === '--user') && next && next.word !== SEPARATOR && /^[^:\s]+:.+/.test(next.word)
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

export function findCredentials(texts: readonly ScannedText[], s: CompiledCredentialSettings): CredentialFinding[] {
  const found = new Map<number, string>();
  texts.forEach((t, i) => {
    let what: string | undefined;
    if (t.field === 'env' && t.envName !== undefined && isSensitiveName(t.envName, s) && isLiteralSecret(t.value)) {
      what = 'sensitive variable name with a literal value';
    }
    what ??= inText(t.value, s);
    if (what) found.set(i, what);
  });
  const argvIndex: number[] = [];
  texts.forEach((t, i) => { if (t.field !== 'env') argvIndex.push(i); });
  const argv = argvIndex.map((i) => texts[i]!);
  for (const [k, what] of inArgv(argvWords(argv), s)) {
    const i = argvIndex[k]!;
    if (!found.has(i)) found.set(i, what);
  }
  return [...found.entries()].sort(([a], [b]) => a - b).map(([i, what]) => ({ path: texts[i]!.path, what }));
}
