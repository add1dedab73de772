// Which names designate a credential: environment variables, flags, header names, and keys
// inside structured values (JSON, YAML, properties, query strings, connection strings).
//
// Names are matched by token (DB_PASSWORD, dbPassword, db.password all read "db password"),
// never by substring: "bypass", "passport" and "monkey" are not credentials. The last
// credential word is the head of the name: a setting word after it (TOKEN_TTL, PASSWORD_FILE,
// SECRET_NAME, AWS_ACCESS_KEY_ID) makes the name a setting about a credential, while words
// before it only say whose credential it is (CACHE_SECRET, SESSION_STORE_SECRET). Vocabulary learned from the names peers
// flag (Polaris, KICS, kube-linter, detect-secrets, gitleaks) and from the names they miss.

import { nameWords } from './scan.ts';

/** A token that names a credential wherever it sits, as long as no setting word follows it. */
export const SENSITIVE_TOKENS = new Set([
  'password', 'passwd', 'pwd', 'pw', 'pass', 'pgpass', 'secret', 'secrete', 'token', 'apikey', 'passphrase', 'credential', 'credentials', 'creds',
  'privatekey', 'secretkey', 'accesskey', 'authtoken', 'authkey', 'mnemonic',
]);
/** Keywords long enough to recognise when glued to a prefix: PGPASSWORD, WEBHOOKSECRET, AUTHTOKEN, TS_AUTHKEY. */
export const GLUED_SUFFIXES = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'authkey'];
/** Tokens that name a credential only as the last word: REDIS_AUTH, BASIC_AUTH, AUTHORIZATION, BEARER (not AUTH_SERVER). */
const LAST_TOKENS = new Set(['auth', 'authorization', 'bearer']);
/** Words that say what is done with a credential, wherever they sit: AllowUsersToChangePassword, MIN_PASSWORD_LENGTH. */
export const ACTION_TOKENS = new Set(['allow', 'change', 'reset', 'update', 'generate', 'random', 'require', 'required', 'enable', 'enabled', 'disable', 'disabled',
  'has', 'min', 'max', 'minimum', 'maximum', 'length', 'policy', 'expiry', 'age', 'hash', 'public', 'publishable', 'pub', 'pubkey', 'reuse', 'prevention']);
/** Pairs of adjacent tokens that together name a credential. */
export const SENSITIVE_PAIRS = [
  'api_key', 'access_key', 'private_key', 'secret_key', 'client_secret', 'auth_token', 'signing_key', 'encryption_key', 'master_key',
  'account_key', 'session_key', 'app_key', 'license_key', 'hmac_key', 'jwt_key', 'client_key', 'auth_key', 'ssh_key', 'deploy_key',
  'gpg_key', 'pgp_key', 'tls_key', 'ssl_key', 'storage_key', 'shared_key', 'subscription_key', 'admin_key', 'service_key',
  'connection_string', 'conn_string', 'conn_str', 'seed_phrase', 'recovery_phrase', 'gossip_key',
  // The shared secret of an Erlang cluster (RabbitMQ, Elixir releases) and Consul's gossip key.
  'erlang_cookie', 'release_cookie', 'consul_encrypt', 'nomad_encrypt', 'serf_encrypt', 'gossip_encrypt',
].map((p) => p.split('_'));
/** Names whose value is a list of key=value pairs: judged by its keys, not as a whole. */
const CONNECTION_STRING_PAIRS = ['connection_string', 'conn_string', 'conn_str'];
/**
 * Words that, after the credential word, make the name a setting about the credential:
 * where it is kept (SECRET_NAMESPACE, PASSWORD_FILE, SECRET_MANAGER_PROJECT, GPG_KEY_SERVER),
 * how it is made or checked (PASSWORD_HASHER, TOKEN_SIGNING_ALG, SALT_ROUNDS), how long it
 * lives (TOKEN_TTL), or what identifies it (AWS_ACCESS_KEY_ID: an id names a key, it does not
 * authenticate). Before the credential word they only say whose credential it is
 * (SESSION_STORE_SECRET, CACHE_SECRET, OIDC_PROVIDER_CLIENT_SECRET).
 */
const SETTING_TOKENS = new Set([
  'ttl', 'timeout', 'expiry', 'expires', 'expiration', 'expire', 'length', 'len', 'policy', 'policies', 'name', 'names', 'file', 'files',
  'path', 'dir', 'directory', 'url', 'uri', 'endpoint', 'header', 'type', 'enabled', 'enable', 'disabled', 'disable', 'algorithm', 'algo', 'alg',
  'ref', 'id', 'ids', 'mode', 'format', 'size', 'count', 'retries', 'interval', 'age', 'lifetime', 'version', 'prefix', 'suffix', 'field', 'stdin',
  'min', 'max', 'minimum', 'maximum', 'hash', 'hasher', 'hashers', 'rotation', 'refresh', 'required', 'require', 'location', 'mount', 'volume', 'store',
  'provider', 'issuer', 'audience', 'scope', 'scopes', 'cache', 'reset', 'strength', 'complexity', 'hint', 'label', 'keys', 'duration', 'delay',
  'limit', 'limits', 'quota', 'threshold', 'rate', 'capacity', 'window', 'buffer', 'batch', 'public', 'publishable', 'pub', 'pubkey',
  'fingerprint', 'thumbprint', 'kid', 'column', 'regex', 'pattern', 'env', 'var', 'variable', 'arn', 'allow', 'change', 'reuse',
  'prevention', 'has', 'update', 'generate', 'random', 'namespace', 'backend', 'backends', 'manager', 'rounds', 'project', 'engine', 'strategy',
  'server', 'servers', 'host', 'hosts', 'port', 'alias', 'salt', 'method', 'methods', 'source', 'src', 'class', 'kind',
]);
/**
 * `<SERVICE>_KEY` is a credential when the service is one that issues API keys to its
 * customers (OPENAI_KEY, SENDGRID_KEY, GOOGLE_MAPS_KEY): the vendors gitleaks and peers keep
 * rules for. A KEY qualified by anything else names data (CACHE_KEY, SORT_KEY, PARTITION_KEY,
 * KAFKA_KEY, S3_KEY: an object's key, PRIMARY_KEY: a column) and is not one.
 */
const KEY_ISSUERS = new Set([
  'openai', 'anthropic', 'claude', 'cohere', 'mistral', 'groq', 'gemini', 'perplexity', 'replicate', 'huggingface', 'hf', 'together', 'fireworks', 'deepseek',
  'deepl', 'elevenlabs', 'assemblyai', 'deepgram', 'voyage', 'jina', 'pinecone', 'weaviate', 'qdrant', 'serpapi', 'serper', 'tavily', 'firecrawl', 'langsmith',
  'langchain', 'wandb', 'comet', 'neptune', 'stripe', 'braintree', 'adyen', 'paypal', 'razorpay', 'paystack', 'flutterwave', 'square', 'plaid', 'coinbase',
  'sendgrid', 'mailgun', 'mailchimp', 'mandrill', 'postmark', 'resend', 'sendinblue', 'brevo', 'mailjet', 'sparkpost', 'twilio', 'nexmo', 'vonage', 'plivo',
  'telnyx', 'messagebird', 'onesignal', 'pusher', 'ably', 'algolia', 'datadog', 'dd', 'newrelic', 'honeycomb', 'pagerduty', 'opsgenie', 'rollbar', 'bugsnag',
  'logdna', 'loggly', 'sumologic', 'mapbox', 'maps', 'gmaps', 'tomtom', 'openweather', 'openweathermap', 'weather', 'ipinfo', 'ipstack', 'geoapify', 'newsapi',
  'youtube', 'google', 'bing', 'segment', 'mixpanel', 'amplitude', 'posthog', 'launchdarkly', 'optimizely', 'contentful', 'sanity', 'storyblok', 'prismic',
  'shopify', 'hubspot', 'zendesk', 'intercom', 'freshdesk', 'airtable', 'notion', 'linear', 'asana', 'clickup', 'trello', 'figma', 'cloudinary', 'imgix',
  'uploadcare', 'cloudflare', 'fastly', 'netlify', 'vercel', 'heroku', 'linode', 'vultr', 'hetzner', 'digitalocean', 'etherscan', 'infura', 'alchemy',
  'moralis', 'ngc', 'nvidia', 'nvapi', 'sentry', 'snyk', 'sonar', 'sonarqube', 'codecov', 'circleci', 'travis', 'browserstack', 'saucelabs', 'lokalise',
  'crowdin', 'recurly', 'chargebee', 'paddle', 'lemonsqueezy', 'typeform', 'calendly', 'zoom', 'dropbox', 'box', 'okta', 'auth0', 'clerk', 'supabase',
  'firebase', 'fcm', 'apns', 'expo', 'unsplash', 'pexels', 'giphy', 'tmdb', 'omdb', 'rapidapi', 'abstractapi', 'clearbit', 'hunter', 'fullstory', 'hotjar',
]);
/** Words before PRIMARY_KEY that say it names a table's column, not an account's primary key (COSMOS_PRIMARY_KEY). */
const DATA_WORDS = new Set(['table', 'tables', 'column', 'db', 'database', 'sql', 'schema', 'index', 'entity', 'model', 'field', 'row', 'record', 'default', 'composite', 'dynamo', 'dynamodb']);

export interface NameSettings {
  /** Extra keywords from credentials.sensitiveNames, already split into tokens and joined by "_". */
  extraNames: readonly string[];
}

/** The name designates a credential (not a setting about one). */
export function isSensitiveName(name: string, s: NameSettings): boolean {
  return sensitiveWords(nameWords(name), s);
}

/**
 * The name reads like a noun phrase: its last credential word is its head, the words before
 * it say whose credential it is, and a setting word after it says the value is about the
 * credential rather than the credential (`TOKEN_TTL`, `SECRET_NAMESPACE`). A word saying what
 * is done with it (AllowUsersToChangePassword, MIN_PASSWORD_LENGTH) makes it a setting wherever
 * it sits.
 */
function sensitiveWords(t: readonly string[], s: NameSettings): boolean {
  if (t.length === 0 || t.some((x) => ACTION_TOKENS.has(x))) return false;
  const head = credentialHead(t, s);
  if (head < 0) return false;
  // An ID token is an identity assertion, a JWT its format finds; `id-token: write` is a
  // GitHub Actions permission.
  if (t[head] === 'token' && t[head - 1] === 'id') return false;
  // A token that names an operation, not a caller: a page of results (`next_token`,
  // `continuation_token`), an idempotent request (AWS `creation_token`), an
  // Auto Scaling `LifecycleActionToken`. They are handed out by the API and authenticate nothing;
  // a CSRF token is a per-session anti-forgery value (the key that signs them, `CSRF_SECRET`,
  // ends in `secret` and stays a credential).
  if (t[head] === 'token' && head > 0 && OPERATION_TOKENS.has(t[head - 1]!)) return false;
  for (let i = head + 1; i < t.length; i++) if (SETTING_TOKENS.has(t[i]!)) return false;
  return true;
}

export const OPERATION_TOKENS = new Set(['csrf', 'xsrf', 'next', 'page', 'pagination', 'continuation', 'resume', 'creation', 'idempotency', 'idempotent', 'action', 'result', 'cancellation']);

/** Index of the last word that ends a credential term in the name, or -1. */
function credentialHead(t: readonly string[], s: NameSettings): number {
  for (let i = t.length - 1; i >= 0; i--) if (endsCredential(t, i, s)) return i;
  return -1;
}

function endsCredential(t: readonly string[], i: number, s: NameSettings): boolean {
  const w = t[i]!;
  if (SENSITIVE_TOKENS.has(w) || GLUED_SUFFIXES.some((k) => w.length > k.length && w.endsWith(k))) return true;
  if (i === t.length - 1 && LAST_TOKENS.has(w)) return true;
  if (PAIRS.some((p) => endsWith(t, i, p)) || s.extraNames.some((p) => endsWith(t, i, p.split('_')))) return true;
  if (w !== 'key' || i === 0) return false;
  const before = t[i - 1]!;
  // Cloud keys are named after the cloud: AZURE_STORAGE_KEY, AZURE_OPENAI_KEY.
  if (KEY_ISSUERS.has(before) || t[0] === 'azure') return true;
  // An account's two rotating keys (Azure Cosmos DB, Event Hubs, IoT Hub), not a table's column.
  return (before === 'primary' || before === 'secondary') && i >= 2 && !t.slice(0, i - 1).some((x) => DATA_WORDS.has(x));
}

const PAIRS = SENSITIVE_PAIRS;
const endsWith = (t: readonly string[], i: number, p: readonly string[]): boolean =>
  i + 1 >= p.length && p.every((x, j) => t[i + 1 - p.length + j] === x);

/** What the rules ask of a variable's name (env, header and flag names). */
export interface NameFacts {
  words: readonly string[];
  /** It designates a credential (isSensitiveName). */
  sensitive: boolean;
  /** CONNECTION_STRING, DB_CONN_STR: its value is judged by the pairs it holds. */
  connectionString: boolean;
  /** Its last word says it holds an authentication setting (AUTH, REDIS_AUTH): a mechanism word there is not a credential. */
  auth: boolean;
  /** It names a GPG or PGP key (GPG_KEY, PGP_KEY): a fingerprint there names a public key. */
  fingerprinted: boolean;
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
    fingerprinted: joined.includes('_gpg_') || joined.includes('_pgp_') || joined.includes('_gnupg_'),
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
  // Through the memo: a config text repeats the same few keys on every line.
  return QUERY_ONLY_KEYS.has(key.toLowerCase()) || nameFacts(key, s).sensitive;
}
