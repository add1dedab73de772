// Which names designate a credential: environment variables, flags, header names, and keys
// inside structured values (JSON, YAML, properties, query strings, connection strings).
//
// Names are matched by token (DB_PASSWORD, dbPassword, db.password all read "db password"),
// never by substring: "bypass", "passport" and "monkey" are not credentials. A name that
// also holds a setting word (TOKEN_TTL, PASSWORD_FILE, SECRET_NAME, AWS_ACCESS_KEY_ID) is a
// setting about a credential, not the credential. Vocabulary learned from the names peers
// flag (Polaris, KICS, kube-linter, detect-secrets, gitleaks) and from the names they miss.

import { nameWords } from './scan.ts';

/** A token that alone makes a name sensitive, wherever it sits. */
const SENSITIVE_TOKENS = new Set([
  'password', 'passwd', 'pwd', 'pw', 'pass', 'pgpass', 'secret', 'secrete', 'token', 'apikey', 'passphrase', 'credential', 'credentials', 'creds',
  'privatekey', 'secretkey', 'accesskey', 'authtoken', 'mnemonic',
]);
/** Keywords long enough to recognise when glued to a prefix: PGPASSWORD, WEBHOOKSECRET, AUTHTOKEN. */
const GLUED_SUFFIXES = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey'];
/** Tokens that name a credential only as the last word: REDIS_AUTH, BASIC_AUTH, AUTHORIZATION, BEARER (not AUTH_SERVER). */
const LAST_TOKENS = new Set(['auth', 'authorization', 'bearer']);
/** Credential words that, last in a name, outweigh any setting word before them. */
const LAST_STRONG = new Set(['password', 'passwd', 'pwd', 'passphrase']);
const ACTION_TOKENS = new Set(['allow', 'change', 'reset', 'update', 'generate', 'random', 'require', 'required', 'enable', 'enabled', 'disable', 'disabled', 'has', 'min', 'max', 'minimum', 'maximum', 'length', 'policy', 'expiry', 'age', 'hash']);
/** Pairs of adjacent tokens that together name a credential. */
const SENSITIVE_PAIRS = [
  'api_key', 'access_key', 'private_key', 'secret_key', 'client_secret', 'auth_token', 'signing_key', 'encryption_key', 'master_key',
  'account_key', 'session_key', 'app_key', 'license_key', 'hmac_key', 'jwt_key', 'client_key', 'auth_key', 'ssh_key', 'deploy_key',
  'gpg_key', 'pgp_key', 'tls_key', 'ssl_key', 'storage_key', 'shared_key', 'subscription_key', 'admin_key', 'service_key',
  'connection_string', 'conn_string', 'conn_str', 'seed_phrase', 'recovery_phrase',
];
/** Names whose value is a list of key=value pairs: judged by its keys, not as a whole. */
const CONNECTION_STRING_PAIRS = ['connection_string', 'conn_string', 'conn_str'];
/** Tokens that make a name a setting about a credential rather than the credential itself. */
const SETTING_TOKENS = new Set([
  'ttl', 'timeout', 'expiry', 'expires', 'expiration', 'expire', 'length', 'len', 'policy', 'policies', 'name', 'names', 'file', 'files',
  'path', 'dir', 'directory', 'url', 'uri', 'endpoint', 'header', 'type', 'enabled', 'enable', 'disabled', 'disable', 'algorithm', 'algo',
  'ref', 'id', 'mode', 'format', 'size', 'count', 'retries', 'interval', 'age', 'lifetime', 'version', 'prefix', 'field', 'stdin',
  'min', 'max', 'minimum', 'maximum', 'hash', 'rotation', 'refresh', 'required', 'require', 'location', 'mount', 'volume', 'store',
  'provider', 'issuer', 'audience', 'scope', 'scopes', 'cache', 'reset', 'strength', 'complexity', 'hint', 'label', 'keys', 'duration', 'delay',
  'limit', 'limits', 'quota', 'threshold', 'rate', 'capacity', 'window', 'buffer', 'batch', 'public', 'publishable', 'pub', 'pubkey',
  'fingerprint', 'thumbprint', 'kid', 'column', 'regex', 'pattern', 'env', 'var', 'variable', 'arn', 'allow', 'change', 'reuse',
  'prevention', 'has', 'update', 'generate', 'random',
]);
/**
 * Setting words that only say so as the last word: `SECRET_BACKEND`, `SECRET_MANAGER_PROJECT`,
 * `PASSWORD_HASHER`, `TOKEN_SIGNING_ALG`, `--webhook-secret-namespace` name where or how
 * secrets are kept; `SECRET_MANAGER_TOKEN` still ends in a credential.
 */
const SETTING_LAST = new Set(['namespace', 'backend', 'backends', 'manager', 'hasher', 'hashers', 'alg', 'rounds', 'project', 'engine', 'strategy']);

export interface NameSettings {
  /** Extra keywords from credentials.sensitiveNames, already split into tokens and joined by "_". */
  extraNames: readonly string[];
}

/** The name designates a credential (not a setting about one). */
export function isSensitiveName(name: string, s: NameSettings): boolean {
  return sensitiveWords(nameWords(name), s);
}

function sensitiveWords(t: readonly string[], s: NameSettings): boolean {
  if (t.length === 0) return false;
  // Ending in a password word names the password whatever store or path precedes it
  // (KEY_STORE_PASSWORD, javax.net.ssl.keyStorePassword), unless a word says what is done
  // with it (AllowUsersToChangePassword).
  if (LAST_STRONG.has(t[t.length - 1]!) && !t.some((x) => ACTION_TOKENS.has(x))) return true;
  if (t.some((x) => SETTING_TOKENS.has(x)) || SETTING_LAST.has(t[t.length - 1]!)) return false;
  if (t.some((x) => SENSITIVE_TOKENS.has(x) || GLUED_SUFFIXES.some((k) => x.endsWith(k)))) return true;
  if (LAST_TOKENS.has(t[t.length - 1]!)) return true;
  // Cloud keys are named after the cloud: AZURE_STORAGE_KEY, AZURE_OPENAI_KEY.
  if (t.length >= 2 && t[0] === 'azure' && t[t.length - 1] === 'key') return true;
  const joined = `_${t.join('_')}_`;
  return SENSITIVE_PAIRS.some((p) => joined.includes(`_${p}_`)) || s.extraNames.some((p) => joined.includes(`_${p}_`));
}

/** What the rules ask of a variable's name (env, header and flag names). */
export interface NameFacts {
  words: readonly string[];
  /** It designates a credential (isSensitiveName). */
  sensitive: boolean;
  /** CONNECTION_STRING, DB_CONN_STR: its value is judged by the pairs it holds. */
  connectionString: boolean;
  /** Its last word says it holds an authentication setting (AUTH, REDIS_AUTH): a mechanism word there is not a credential. */
  auth: boolean;
}

/**
 * Facts kept per name: the same variable names recur in every container and every review,
 * and splitting and matching them again was a tenth of a review's cost. Only names are kept
 * (never values), long names are not kept, and the table starts over when full, so distinct
 * names cannot grow it past NAME_MEMO_LIMIT entries.
 */
const NAME_MEMO_LIMIT = 4096;
const NAME_MEMO_MAX_LENGTH = 128;
const memos = new WeakMap<NameSettings, Map<string, NameFacts>>();

export function nameFacts(name: string, s: NameSettings): NameFacts {
  let memo = memos.get(s);
  if (!memo) memos.set(s, (memo = new Map()));
  let facts = memo.get(name);
  if (facts) return facts;
  const words = nameWords(name);
  const last = words[words.length - 1];
  const joined = `_${words.join('_')}_`;
  facts = {
    words,
    sensitive: sensitiveWords(words, s),
    connectionString: CONNECTION_STRING_PAIRS.some((p) => joined.includes(`_${p}_`)),
    auth: last === 'auth' || last === 'authorization',
  };
  if (name.length <= NAME_MEMO_MAX_LENGTH) {
    if (memo.size >= NAME_MEMO_LIMIT) memo.clear();
    memo.set(name, facts);
  }
  return facts;
}

/** Name facts for rules that use no credential settings (the host rule reads only the words). */
export const NO_EXTRA_NAMES: NameSettings = { extraNames: [] };

/**
 * Keys that carry a credential only inside a URL's query or a key=value list: `sig` of an
 * Azure SAS URL, `X-Amz-Signature` of a presigned S3 URL. As variable names they mean nothing.
 */
const QUERY_ONLY_KEYS = new Set(['sig', 'signature', 'x-amz-signature', 'x-goog-signature', 'x-amz-security-token', 'access_token', 'code_verifier']);

/** A key of a key=value pair or a query parameter that holds a credential. */
export function isSensitiveKey(key: string, s: NameSettings): boolean {
  return QUERY_ONLY_KEYS.has(key.toLowerCase()) || isSensitiveName(key, s);
}
