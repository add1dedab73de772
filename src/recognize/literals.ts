// Whether a value found in a credential position is a literal credential, or something that
// only stands where one would: a reference to where the secret lives, a placeholder or a
// documentation value, a setting. Used after a sensitive name, flag, header or key has said
// "a credential goes here"; token formats have their own test (formats.ts).

import { OPAQUE } from '../objects/expand.ts';
import { identifierWords, trimEndChars, trimStartChars } from './scan.ts';
import { isEmptyArmour, isFiller } from './formats.ts';

/**
 * A whole value that some program replaces at run time: `$VAR`, `$1`, `%VAR%`, a shell
 * substitution with arguments (`$(cat /run/pw)`, `` `etcdctl get k` ``; `$(x)` left by the kubelet
 * is literal text), a Terraform reference (`var.db_password`), a
 * single-brace template (`{token}`, `{SumoAccessKey}`), a CloudFormation function (`!Ref Param`),
 * ciphertext (SOPS `ENC[AES256_GCM,…]`, `$ANSIBLE_VAULT;…`), Grafana's `$__env{NAME}`,
 * `$__file{path}` and `$__vault{path}` (Grafana expands them in its own settings).
 */
const REFERENCE = /^(?:\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?!$-]|\$__(?:env|file|vault)\{[^{}]*\}|%[A-Za-z_]+%|\$\([^)\s]*\s[^)]*\)|`[^`\s]*\s[^`]*`|(?:var|local|data|module|each|self)\.[A-Za-z_][\w.[\]"-]*|\{[^{}]*\}|ENC\[.*|\$ANSIBLE_VAULT;.*|!(?:Ref|GetAtt|Sub|ImportValue|Join|Select|If|Not|Equals|And|Or|Condition|FindInMap|Base64|Split|GetAZs|Cidr) .*)$/s;
/**
 * Where a secret manager keeps the value: bank-vaults `vault:secret/data/app#key`, AWS
 * Secrets Manager and SSM ARNs (any ARN names a resource, never holds a secret), GCP
 * `projects/p/secrets/s/versions/v`, `env:NAME` and `file:/path` indirections. Any
 * `scheme://…` (`ref+vault://`, `op://`, `azurekeyvault://`) is a URL and judged as one.
 */
const SECRET_MANAGER = /^(?:vault:[A-Za-z0-9_][\w./-]*(?:#[\w.-]*){0,2}|arn:aws[a-z-]*:[a-z0-9-]+:[^\s]*|(?:gcp:secretmanager:|gcpsm:)?projects\/[\w.-]+\/secrets\/[\w.-]+(?:\/versions\/[\w.-]+)?|env:[A-Za-z_][A-Za-z0-9_]*|file:\S+)$/;
/**
 * A marker a tool replaces before apply: `__NAME__` (sed, Azure DevOps), `@NAME@` (autoconf,
 * Maven filtering), `%NAME%`, `#{NAME}` and `#{NAME}#` (Octopus, Azure DevOps Replace Tokens).
 */
const SUBSTITUTION = /__([A-Za-z][A-Za-z0-9.-]*(?:_[A-Za-z0-9.-]+)*)__|[@%]([A-Za-z][A-Za-z0-9.-]*(?:_[A-Za-z0-9.-]+)*)[@%]|#\{([A-Za-z][A-Za-z0-9.-]*(?:_[A-Za-z0-9.-]+)*)\}#?/g;
/**
 * A marker's NAME reads as a name, in one case style (DB_PASSWORD, db.password, ApiToken,
 * Project.Db.Password): `@x7Qm-2kP@` is a literal that happens to start and end with @.
 */
const NAME_STYLE = /^(?:[A-Z]+[0-9]*(?:[_.-][A-Z]+[0-9]*)*|[a-z]+[0-9]*(?:[_.-][a-z]+[0-9]*)*|[A-Za-z][a-z]+[0-9]*(?:[A-Z][a-z]+[0-9]*)*(?:\.[A-Za-z][a-z]+[0-9]*(?:[A-Z][a-z]+[0-9]*)*)*)$/;
/** An authentication scheme word written before the credential: `Bearer $(TOKEN)`. */
const AUTH_SCHEME = /^(?:bearer|basic|token|digest|negotiate)$/i;
const ALNUM = /[A-Za-z0-9]/;
/** Text cut short for the reader: `ops_eyJzaWdu...`, `sk-…`. */
const TRUNCATED = /(?:\.\.\.|…)$/;
/** Masks, empty markers and fillers: `<password>`, `***`, `xxxx`, `REDACTED`, `none`. */
const PLACEHOLDER = /^(?:<[^>]*>|\[[^\]]*\]|\*+|#+|•+|x{3,}|X{3,}|\.{3,}|…|-+|_+|0{4,}|redacted|\[redacted\]|none|null|nil|undefined|n\/a|na|todo|tbd|fixme|empty|placeholder|dummy|sample|unset|notset|not-set|not_set)$/i;
/**
 * An instruction to the reader instead of a value, as a whole phrase: REPLACE_ME, CHANGE_ME,
 * enter-your-password, your-api-key-here, INSERT_TOKEN_HERE. A verb starts it and every word
 * after it is one an instruction is made of, so `enter-the-dragon-1973` is a password.
 * `changeme`, written as one word, is a real (weak) password and is judged as one.
 */
const INSTRUCTION_CHARS = /^[-_ .A-Za-z0-9]+$/;
const INSTRUCTION_VERBS = new Set(['replace', 'change', 'insert', 'enter', 'put', 'add', 'set', 'fill', 'update', 'provide', 'paste', 'type', 'use', 'supply', 'specify', 'please']);
const INSTRUCTION_WORDS = new Set([
  'me', 'this', 'it', 'in', 'out', 'with', 'your', 'you', 'the', 'a', 'an', 'my', 'our', 'own', 'real', 'actual', 'valid', 'correct', 'here', 'value', 'values', 'to',
  'be', 'something', 'secure', 'strong', 'random', 'later', 'before', 'deploy', 'deploying', 'use', 'using', 'prod', 'production', 'please', 'of', 'for', 'and',
  'key', 'keys', 'api', 'apikey', 'token', 'tokens', 'password', 'passwd', 'pass', 'pw', 'pwd', 'passphrase', 'secret', 'secrets', 'credential', 'credentials',
  'creds', 'access', 'client', 'private', 'auth', 'personal', 'service', 'account', 'app', 'application', 'user', 'username', 'name', 'id', 'db', 'database',
  'admin', 'root', 'bot', 'webhook', 'url', 'string', 'connection', 'license', 'new', 'string', 'one', 'that', 'default',
]);
const INSTRUCTION_HERE = /[-_ .]here$/i;

function isInstruction(v: string): boolean {
  if (v.length > 96 || !INSTRUCTION_CHARS.test(v)) return false;
  if (INSTRUCTION_HERE.test(v)) return true;
  const words = v.toLowerCase().split(/[-_ .]/).filter((w) => w !== '');
  if (words.length < 2) return false;
  // `your-...`: the reader's own value goes there (your_password, your-openai-key).
  if (words[0] === 'your') return true;
  return INSTRUCTION_VERBS.has(words[0]!) && words.slice(1).every((w) => INSTRUCTION_WORDS.has(w) || INSTRUCTION_VERBS.has(w));
}

/**
 * A vendor's prefix followed by a capitalised placeholder word: `nvapi-NVKEY`, `sk-YOURKEY`,
 * `ghp_TOKEN`, `xoxb-BOT-TOKEN`. A real token's random part mixes cases or digits; a word in
 * capitals after the prefix is the documentation's name for it.
 */
export const VENDOR_PLACEHOLDER = /^[a-z][a-z0-9]{0,9}(?:[-_][a-z0-9]{1,10}){0,2}[-_][A-Z]+(?:[-_][A-Z]+){0,4}$/;

/** Characters typed over a value to hide or stand for it: `ghp_xxxxx…`, `xoxb-xxxx-…`, `sk_****`. */
export const MASKED = /[xX]{5}|[*•]{3}/;
/**
 * AWS and others publish example credentials marked EXAMPLE (AKIAIOSFODNN7EXAMPLE); documents
 * write `sample`, `dummy` or `placeholder` into a value that stands for one. `example` alone
 * (Docker Hub's postgres password) and anything holding `fake` (`fake_password`) are values a
 * container receives, judged like any other.
 */
export const DOCUMENTATION = /EXAMPLE|(?:^|[^A-Za-z])(?:sample|dummy|placeholder)(?:$|[^A-Za-z])/;
/** Numbers that read as settings rather than a PIN: one digit, signed or decimal. */
const SETTING_NUMBER = /^(?:[-+]?\d(?:\.\d+)?|[-+]?\d+\.\d+|[-+]\d+)$/;
const BOOLEAN = /^(?:true|false|yes|no|on|off|enabled|disabled)$/i;
/** When or how a credential is set, not the credential: Ansible's `update_password: on_create`. */
const MODE_WORD = /^(?:always|never|on_create|on_change|on_update|auto|automatic|prompt|inherit|ignore|manual)$/i;
export const DURATION = /^\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w|y|sec|secs|min|mins|hours?|days?)$/i;
const PATHLIKE = /^(?:\/|\.\.?\/|~\/|[A-Za-z]:\\)\S*$/;
/** A path's segments: names of files and directories, not base64 (`+`, `=`) or random runs. */
const PATH_SEGMENT = /^[\w.@:~-]*$/;
export const HEADER_NAME = /^(?:x-[a-z0-9-]+|authorization|proxy-authorization|cookie)$/i;
const URL_ONLY = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;
/** Public halves of key pairs and certificates: shared by design. */
const PUBLIC_KEY = /^(?:(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-[a-z0-9]+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) AAAA|-----BEGIN (?:PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE|PGP PUBLIC KEY BLOCK)-----)/;
/**
 * Keys their vendors publish for browsers and mobile apps to embed: Stripe's publishable
 * `pk_live_`/`pk_test_`, PostHog's project key `phc_` (write-only event ingestion). They
 * identify an account and authorise nothing secret.
 */
export const PUBLISHABLE_KEY = /^(?:pk_(?:live|test)_[A-Za-z0-9]{10}|phc_[A-Za-z0-9]{20})[A-Za-z0-9]*$/;
/** What an AUTH setting names when it is not a credential: a mechanism. */
const AUTH_MECHANISM = /^(?:basic|bearer|digest|token|tokens|oauth|oauth2|oidc|jwt|ldap|saml|kerberos|gssapi|ntlm|mtls|tls|x509|cert|certificate|apikey|api-key|api_key|password|md5|scram-sha-256|scram-sha-1|trust|peer|plain|anonymous|internal|external|local|iam|sso|keycloak|dex|header|cookie|session|optional|required)$/i;

export function unquote(v: string): string {
  const q = v[0];
  return v.length >= 2 && (q === '"' || q === "'") && v.endsWith(q) ? v.slice(1, -1) : v;
}

/**
 * Who reads the value: `shell` (the default: a script or a program's own expansion may
 * replace `$NAME`) or `kubelet` (an env value or a probe header: only `$(NAME)` is expanded,
 * and the kubelet has done that already).
 */
export type Reader = 'shell' | 'kubelet';
const SHELL_VARIABLE = /^\$[A-Za-z_][A-Za-z0-9_]*$/;
/** `$NAME` written as an environment variable's name, in the convention's capitals. */
const ENV_VARIABLE = /^\$[A-Z_][A-Z0-9_]*$/;

/** The value is a literal that could be a credential (not a reference, path, placeholder...). */
export function isLiteralSecret(value: string, reader: Reader = 'shell'): boolean {
  // A substitution marker stands where run-time text goes, as a $(VAR) the object does not hold.
  const raw = /__|[@%]|#\{/.test(value) ? value.replace(SUBSTITUTION, (marker, ...names: (string | undefined)[]) => (NAME_STYLE.test(names[0] ?? names[1] ?? names[2] ?? '') ? OPAQUE : marker)) : value;
  if (!raw.includes(OPAQUE)) return isWholeLiteral(raw, reader);
  // A reference assembled from run-time parts (`arn:aws:kms:{{ region }}:…`, a URL or a
  // path with a variable in it) is still a reference.
  const whole = unquote(raw.trim()).replaceAll(OPAQUE, '0');
  if (SECRET_MANAGER.test(whole) || URL_ONLY.test(whole) || isPath(whole)) return false;
  // Literal parts next to a value the object does not hold are judged on their own: the
  // kubelet delivers them, and `$(EMPTY)hunter2` must not pass as a reference.
  for (const part of raw.split(OPAQUE)) {
    // What follows `${NAME` is its default (`:-x}`, `:=x}`): judged without the operator and brace.
    const p = trimEndChars(trimStartChars(part.trim(), ':-=?+'), '}').trim();
    if (ALNUM.test(p) && !AUTH_SCHEME.test(schemeWord(p)) && isWholeLiteral(p, reader)) return true;
  }
  return false;
}

function isWholeLiteral(raw: string, reader: Reader): boolean {
  // No length limit: padding must not hide a password, and a long literal under a sensitive
  // name (a private key in SSH_KEY_PASSPHRASE...) is still a credential. A weak real password
  // (`changeme`, `password`, `12345678`) is a credential too: it opens the same door.
  const v = unquote(raw.trim());
  if (v === '' || !ALNUM.test(v) || oneCharacter(v)) return false;
  // The start of a command substitution cut at its first blank by a header or flag reader
  // (`Bearer $(gcloud auth print-access-token)`): the shell replaces it with the command's output.
  if ((v.startsWith('$(') && !v.includes(')')) || (v.startsWith('`') && v.indexOf('`', 1) < 0)) return false;
  // A token-length value that reads as filler (`aaaa…`, `1234567890abcdef…`, `123123…`).
  if (v.length >= 16 && isFiller(v)) return false;
  // The kubelet expands only $(NAME): `$uperS3cret` in an env value reaches the program as
  // written. `$DB_PASSWORD`, a variable's name in capitals, is a reference its author meant
  // (and holds no secret either way).
  const literalToKubelet = reader === 'kubelet' && SHELL_VARIABLE.test(v) && !ENV_VARIABLE.test(v);
  if (!literalToKubelet && REFERENCE.test(v)) return false;
  return !(TRUNCATED.test(v) || SECRET_MANAGER.test(v) || PLACEHOLDER.test(v) || isInstruction(v) || VENDOR_PLACEHOLDER.test(v) || MASKED.test(v) || DOCUMENTATION.test(v)
    || SETTING_NUMBER.test(v) || BOOLEAN.test(v) || MODE_WORD.test(v) || DURATION.test(v) || isPath(v) || HEADER_NAME.test(v) || URL_ONLY.test(v)
    || PUBLIC_KEY.test(v) || PUBLISHABLE_KEY.test(v) || isEmptyArmour(v));
}

/**
 * A value that reads as a path: `./x`, `~/x`, `C:\x`, or `/` followed by segments that name
 * files (`/etc/secrets/db`). A base64 secret may start with `/` (`/k3Jx+9aQ…=`): one that holds
 * `+` or `=`, or a long run mixing cases and digits, names no file.
 */
function isPath(v: string): boolean {
  if (!PATHLIKE.test(v)) return false;
  if (v[0] !== '/') return true;
  return v.split('/').every((seg) => PATH_SEGMENT.test(seg) && !randomRun(seg));
}

/** 16 or more letters and digits mixing upper case, lower case and digits, with no separator. */
function randomRun(seg: string): boolean {
  return seg.length >= 16 && /^[A-Za-z0-9]+$/.test(seg) && /[a-z]/.test(seg) && /[A-Z]/.test(seg) && /[0-9]/.test(seg);
}

/** `xxx`, `yyy`, `000`: one character typed over and over. */
function oneCharacter(v: string): boolean {
  if (v.length < 3) return false;
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/**
 * The value repeats the name it stands under, as a template waiting for `sed` or envsubst
 * does: `API_KEY=API_KEY`, `access_token=ACCESS_TOKEN`, `GOOGLE_API_KEY=GOOGLE_API_KEY_VAL`.
 * A real literal differs from its name (`DB_PASSWORD=password` is a password).
 */
export function isSelfNamed(name: string, value: string): boolean {
  const words = identifierWords(unquote(value.trim()));
  while (words.length > 1 && SELF_MARKERS.has(words[words.length - 1]!)) words.pop();
  const n = identifierWords(name);
  return words.length > 0 && words.length === n.length && words.every((w, i) => w === n[i]);
}
const SELF_MARKERS = new Set(['val', 'value', 'here', 'placeholder']);

/**
 * `Bearer abc` -> `abc`: the scheme word is not the credential. A header written URL-encoded
 * (OpenTelemetry's `OTEL_EXPORTER_OTLP_HEADERS=Authorization=Basic%20…`) separates it by `%20`.
 */
export function afterAuthScheme(value: string): string {
  const v = value.trim();
  const space = v.indexOf(' ');
  if (space > 0 && AUTH_SCHEME.test(v.slice(0, space))) return v.slice(space + 1);
  const encoded = v.indexOf('%20');
  return encoded > 0 && AUTH_SCHEME.test(v.slice(0, encoded)) ? v.slice(encoded + 3) : v;
}

/** The scheme word of `Basic%20` (an encoded header cut where a reference starts): `Basic`. */
const schemeWord = (part: string): string => (part.endsWith('%20') ? part.slice(0, -3) : part);

/** The value of an AUTH-named setting is an authentication mechanism (AUTH=oauth2), not a credential. */
export function isAuthMechanism(value: string): boolean {
  return AUTH_MECHANISM.test(unquote(value.trim()));
}

/**
 * Under a name whose head is `secret`, a value that names a Kubernetes Secret object rather
 * than holding one: a certificate's Secret (ECK's `WEBHOOK_SECRET=elastic-webhook-server-cert`)
 * or a `namespace/name` reference (Knative's `default-tls-secret: "ns/name"`). Both are DNS
 * names the API server would accept, which a password rarely is in that exact form.
 */
export function namesSecretObject(words: readonly string[], value: string): boolean {
  if (words[words.length - 1] !== 'secret' || value.length > 253 + 64) return false;
  const v = unquote(value.trim());
  return (OBJECT_NAME.test(v) && TLS_SUFFIX.test(v)) || NAMESPACED_NAME.test(v);
}
const OBJECT_NAME = /^[a-z0-9][a-z0-9-]*$/;
export const TLS_SUFFIX = /-(?:cert|certs|tls|ca|certificate|certificates)$/;
const NAMESPACED_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\/[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
