// plaintext-credential: literal credentials in env values, command and args, probe and hook
// commands and headers.
//
// Facts learned from detect-secrets (keyword + high-entropy plugins), gitleaks (token format
// rules), secretlint and KICS/Polaris/kube-linter (env-name keyword checks), and measured on
// their own test fixtures (corpus/). A finding carries the location and the kind of
// credential, never the value. The parts:
// In src/recognize/ (what a piece of text is):
// - names.ts: which names (variables, flags, headers, keys) designate a credential;
// - literals.ts: which values are literals rather than references, placeholders or settings;
// - formats.ts: token formats recognised whatever the name;
// - structured.ts: keys inside JSON/YAML/properties/key=value values, userinfo, base64;
// - command-credentials.ts: which words of a command line sit in a credential position;
// Here (what is a violation): how each field is read.

import { RE2JS } from 're2js';
import type { ConfigMapSourced } from '../objects/texts.ts';
import { findFormat, hasJwt } from '../recognize/formats.ts';
import { afterAuthScheme, isAuthMechanism, namesSecretObject, isLiteralSecret, isSelfNamed, type Reader } from '../recognize/literals.ts';
import { nameFacts } from '../recognize/names.ts';
import { identifierWords, someKeyValue, urlSpans } from '../recognize/scan.ts';
import { readCommandLines, type CommandReader } from '../objects/commands.ts';
import { inCommand } from '../recognize/command-credentials.ts';
import { sqlCredential } from '../recognize/sql.ts';
import { base64Texts, inStructure } from '../recognize/structured.ts';
import type { CredentialFinding, CredentialSettings, ScannedText } from './types.ts';

/** An organisation's own token format, run on RE2: linear in the text whatever the pattern. */
interface ExtraPattern { name: string; regex: { test(text: string): boolean } }

export interface CompiledCredentialSettings {
  extraNames: readonly string[];
  extraPatterns: readonly ExtraPattern[];
}

// Keyword-anchored scans (someKeyValue): each regex finds where a value starts, a sticky regex
// reads the value.
const AUTH_KEY = /\bauthorization\s*[:=]\s*(?:(?:bearer|basic|token|digest)\s+)?/gi;
const API_KEY_KEY = /\bx-api-key\s*:\s*/gi;
/** A header given to curl or wget (`-H 'PRIVATE-TOKEN: x'`, `--header "X-Vault-Token: x"`): judged by its name. */
const HEADER_FLAG = /(?:^|\s)(?:-H|--header)(?:\s{1,4}|=)["']?([A-Za-z][A-Za-z0-9_-]{0,63})[ \t]{0,4}:[ \t]{0,8}/g;
/** A header value: a `<placeholder>` as one unit, or a run up to a separator. */
const HEADER_VALUE = /<[^<>\n]{0,64}>|[^\s"',;]+/y;

/** A whole value that is an Authorization header's value: `Basic c2hvcDp…`, `Bearer eyJ…`. */
const SCHEME_VALUE = /^(?:Basic|Bearer) ([^\s]+)$/;

export function compileCredentialSettings(s: CredentialSettings): CompiledCredentialSettings {
  const extraPatterns = s.extraPatterns.map(({ name, pattern }) => {
    try {
      return { name, regex: RE2JS.compile(pattern) };
    } catch (err) {
      throw new Error(`credentials.extraPatterns "${name}": not a valid RE2 regular expression (RE2 runs in linear time, so it has no lookaround and no backreferences): ${(err as Error).message}`);
    }
  });
  const extraNames = s.sensitiveNames.map((n) => identifierWords(n).join('_')).filter((n) => n !== '');
  return { extraNames, extraPatterns };
}

/** The first value after `key` (a global regex) that is a literal secret. */
const literalAfter = (text: string, key: RegExp, value: RegExp): boolean => someKeyValue(text, key, value, (_, v) => isLiteralSecret(v));

/**
 * A credential by its form alone, wherever it is written (any field, a ConfigMap's text, its
 * comments): a token format, a JWT, an organisation's own pattern, a URL's password or token.
 */
export function credentialByForm(text: string, s: CompiledCredentialSettings): string | undefined {
  const format = findFormat(text);
  if (format) return format;
  if (hasJwt(text)) return 'JWT';
  for (const p of s.extraPatterns) if (p.regex.test(text)) return `matches pattern "${p.name}"`;
  if (text.includes('://') && text.includes('@')) {
    for (const u of urlSpans(text)) {
      if (u.password !== undefined && u.user !== undefined && !u.user.includes(':') && isLiteralSecret(u.password)) return 'password in URL';
      if (u.password === undefined && u.user !== undefined && isTokenUser(u.user)) return 'token in URL';
    }
  }
  return undefined;
}

/**
 * Credential embedded in a free text (any field): formats, URLs, key=value pairs and
 * structured values, headers; then the same inside base64 runs that decode to text.
 */
function inText(text: string, s: CompiledCredentialSettings, decode = BASE64_DEPTH): string | undefined {
  const byForm = credentialByForm(text, s);
  if (byForm) return byForm;
  if (literalAfter(text, AUTH_KEY, HEADER_VALUE) || literalAfter(text, API_KEY_KEY, HEADER_VALUE)) return 'credential in an HTTP header';
  if ((text.includes('-H') || text.includes('--header')) && someKeyValue(text, HEADER_FLAG, HEADER_VALUE, (m, v) => namedHeader(m[1]!, v, s))) return 'credential in an HTTP header';
  const structured = inStructure(text, s);
  if (structured) return structured;
  const scheme = SCHEME_VALUE.exec(text.trim());
  if (scheme && scheme[1]!.length >= 12 && isLiteralSecret(scheme[1]!)) return 'credential in an HTTP header';
  if (decode > 0) {
    for (const decoded of base64Texts(text)) {
      const found = inText(decoded, s, decode - 1);
      if (found) return `${found} (base64-encoded)`;
    }
  }
  return undefined;
}

/** A header named for a credential (`PRIVATE-TOKEN`, `X-Vault-Token`); Authorization is read by AUTH_KEY, after its scheme. */
const namedHeader = (name: string, value: string, s: CompiledCredentialSettings): boolean =>
  !AUTH_HEADERS.has(name.toLowerCase()) && nameFacts(name, s).sensitive && isLiteralSecret(value);

/**
 * Base64 decoded at most this deep (a value wrapped twice, as a Secret's data copied into a
 * ConfigMap-style blob): each level is at most 3/4 of the one above, so the work is bounded.
 */
const BASE64_DEPTH = 2;

/**
 * The user part of a URL with no password holds a token (`https://ghp_…@github.com/`,
 * `https://<token>@git.example/`) when it is a literal that reads as one: long, of token
 * characters, mixing letters and digits. `git@`, `oauth2@`, `deploy@` name a user.
 */
function isTokenUser(user: string): boolean {
  return user.length >= 20 && TOKEN_USER.test(user) && /[0-9]/.test(user) && /[A-Za-z]/.test(user) && isLiteralSecret(user);
}
const TOKEN_USER = /^[A-Za-z0-9_.~-]+$/;

/** A value under a sensitive variable name: the whole value is the credential. */
function underSensitiveName(name: string, value: string, s: CompiledCredentialSettings): string | undefined {
  // A connection string is a list of settings; only its credential keys make it one.
  const facts = nameFacts(name, s);
  if (facts.connectionString && /[=;]/.test(value)) return undefined;
  if (!facts.sensitive) return undefined;
  const credential = afterAuthScheme(value);
  if (facts.auth && isAuthMechanism(credential)) return undefined;
  if (namesSecretObject(facts.words, credential)) return undefined;
  if (facts.fingerprinted && FINGERPRINTS.test(credential.trim())) return undefined;
  return isLiteralSecret(credential, 'kubelet') && !isSelfNamed(name, credential) ? 'sensitive variable name with a literal value' : undefined;
}

/**
 * A GPG or PGP key named by its fingerprints or long key ids (the official python image sets
 * `GPG_KEY` to the release manager's fingerprint to verify the download): public, not the key.
 */
const FINGERPRINTS = /^(?:0x)?[0-9A-Fa-f]{16}(?:[0-9A-Fa-f]{24})?(?:[ ,]+(?:0x)?[0-9A-Fa-f]{16}(?:[0-9A-Fa-f]{24})?)*$/;


/** Headers whose value is a credential after its scheme word: `Authorization: Bearer x`. */
const AUTH_HEADERS = new Set(['authorization', 'proxy-authorization']);

/**
 * Cookies that carry a login: sessions by their frameworks' names (PHPSESSID, JSESSIONID,
 * connect.sid, `_app_session`, sessionid), remember-me tokens, and any cookie with a
 * credential's name.
 */
const SESSION_COOKIE = /^(?:phpsessid|jsessionid|aspsessionid\w*|asp\.net_sessionid|connect\.sid|sid|ssid|sess|session|sessionid|session_id|session-id|\w*_session|\w*_sess|remember_\w+|remember-me|laravel_session|_oauth2_proxy\w*|auth_session)$/i;

/** A Cookie header: each cookie judged by its name. */
function inCookies(value: string, s: CompiledCredentialSettings, reader: Reader): boolean {
  for (const pair of value.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    if ((SESSION_COOKIE.test(name) || nameFacts(name, s).sensitive) && isLiteralSecret(pair.slice(eq + 1).trim(), reader)) return true;
  }
  return false;
}

/**
 * An HTTP header, by its name, then by its value like any text. `reader` is who expands the
 * value first: the kubelet for a probe's header, the program for a header in a config file
 * (nginx's `$http_authorization` is a variable there).
 */
export function inHeader(name: string, value: string, s: CompiledCredentialSettings, reader: Reader = 'kubelet'): string | undefined {
  const lower = name.trim().toLowerCase();
  if (lower === 'cookie') {
    if (inCookies(value, s, reader)) return 'credential in an HTTP header';
  } else if (AUTH_HEADERS.has(lower)) {
    if (isLiteralSecret(afterAuthScheme(value), reader)) return 'credential in an HTTP header';
  } else if (nameFacts(name, s).sensitive && isLiteralSecret(value, reader)) {
    return 'credential in an HTTP header';
  }
  return undefined;
}

/** The credential rule's reader of commands: what each command line passes, into `found`. */
export function credentialsInCommands(s: CompiledCredentialSettings, found: Map<ScannedText, string>): CommandReader<ScannedText> {
  return (cmd, textOf) => inCommand(cmd, s, (k, what) => {
    const t = textOf(k);
    if (!found.has(t)) found.set(t, what);
  });
}

/**
 * Credentials in the texts. `inCommands`, when given, holds what `credentialsInCommands` found
 * in a walk shared with the other rules; otherwise the command lines are read here.
 */
export function findCredentials(texts: readonly ScannedText[], s: CompiledCredentialSettings, inCommands?: ReadonlyMap<ScannedText, string>): CredentialFinding[] {
  const found = new Map<ScannedText, string>();
  for (const t of texts) {
    let what: string | undefined;
    if ((t.field === 'env' || t.field === 'option') && t.envName !== undefined) {
      what = underSensitiveName(t.envName, t.value, s);
    } else if (t.field === 'header' && t.envName !== undefined) {
      what = inHeader(t.envName, t.value, s);
    }
    // The name it was written under before it landed here: an annotation's key, a file's name.
    for (const name of t.writtenAs ?? []) what ??= underSensitiveName(name, t.value, s);
    what ??= inText(t.value, s);
    // A SQL or mongosh statement that sets a password is one wherever it is written.
    what ??= sqlCredential(t.value);
    if (what) found.set(t, what);
  }
  let commands = inCommands;
  if (!commands) {
    const read = new Map<ScannedText, string>();
    readCommandLines(texts, [credentialsInCommands(s, read)]);
    commands = read;
  }
  for (const [t, what] of commands) if (!found.has(t)) found.set(t, what);
  return texts.filter((t) => found.has(t)).map((t) => ({ path: t.path, what: found.get(t)! }));
}

/** A sensitive-named variable read from a ConfigMap: a credential kept where any reader of ConfigMaps sees it. */
export function findConfigMapCredentials(sourced: readonly ConfigMapSourced[], s: CompiledCredentialSettings): CredentialFinding[] {
  return sourced.filter((c) => nameFacts(c.envName, s).sensitive).map((c) => ({ path: c.path, what: 'sensitive variable read from a ConfigMap', fromConfigMap: true }));
}
