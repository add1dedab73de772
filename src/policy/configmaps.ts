// plaintext-credential in a ConfigMap: every data value is the file (or, through envFrom, the
// variable) its key names, read with that file's grammar (src/recognize/config-files.ts). An
// entry is a credential by its position: a key whose words name a credential with a literal
// value, a header directive that sends one, a key=value list inside a single value (a JAAS
// line, a JDBC URL). Token formats, JWTs and URLs with a password count anywhere in the text.
//
// Only credentials: a host written in a ConfigMap reaches nothing by being there (a workload
// that reads it is judged by what it runs), and a ConfigMap denial stops whatever controller
// writes it, so nothing that is only a shape or a setting is ever denied here.

import { OPAQUE, maskPlaceholders, unforged } from '../objects/expand.ts';
import type { ConfigMapView } from '../objects/subjects.ts';
import { FORMAT_NAMES, readConfigFile, type ConfigEntry, type ConfigFormat } from '../recognize/config-files.ts';
import { findFormat } from '../recognize/formats.ts';
import { afterAuthScheme, isAuthMechanism, isLiteralSecret, isSelfNamed, namesSecretObject, unquote } from '../recognize/literals.ts';
import { nameFacts } from '../recognize/names.ts';
import { inStructure } from '../recognize/structured.ts';
import { credentialByForm, inHeader, type CompiledCredentialSettings } from './credentials.ts';

/** A credential found in a ConfigMap: where, never what. */
export interface ConfigMapFinding {
  /** `data["application.properties"]`, as kubectl and `check --sarif` read paths. */
  path: string;
  /** The data key (a file name or a variable name). */
  key: string;
  format: ConfigFormat;
  /** 1-based line in the value, when an entry (not the whole text) holds it. */
  line?: number;
  /** The entry's name, when it can be shown (a name, never a value). */
  entry?: string;
  what: string;
}

/** Findings listed per ConfigMap; the rest are counted (a 1 MiB file of `password=x` lines has 70,000). */
export const CONFIGMAP_LISTED = 200;

/** `data.DB_PASSWORD`, or `data["app.properties"]` for a key that is not a plain identifier. */
export function dataPath(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `data.${key}` : `data[${JSON.stringify(key)}]`;
}

/**
 * The credentials in a ConfigMap's data, at most CONFIGMAP_LISTED of them (`more` counts the
 * rest). `unchanged`, on UPDATE, says which keys hold the same value as before: those are not
 * judged again, so a controller's update of another key is never blocked by an old one.
 */
export function configMapCredentials(view: ConfigMapView, s: CompiledCredentialSettings, unchanged?: (key: string, value: string) => boolean): { findings: ConfigMapFinding[]; more: number } {
  const findings: ConfigMapFinding[] = [];
  let more = 0;
  const add = (f: ConfigMapFinding): void => { if (findings.length < CONFIGMAP_LISTED) findings.push(f); else more++; };
  for (const [key, raw] of Object.entries(view.data)) {
    if (raw === '' || unchanged?.(key, raw)) continue;
    const path = dataPath(key);
    const entries: Omit<ConfigMapFinding, 'format'>[] = [];
    const format = readConfigFile(key, raw, (e) => {
      const what = entryCredential(e, s);
      if (!what) return;
      if (findings.length + entries.length < CONFIGMAP_LISTED) entries.push({ path, key, line: e.line, ...(shownName(e.name) ? { entry: e.name } : {}), what });
      else more++;
    });
    for (const f of entries) findings.push({ ...f, format });
    // Position-free recognizers: a vendor token, a JWT or a URL's password is one wherever it is
    // written, comments included. Only when no entry of the file already says so.
    if (entries.length === 0) {
      const what = credentialByForm(prepared(raw), s);
      if (what) add({ path, key, format, what });
    }
  }
  return { findings, more };
}

/** A name shown in a message: short, made of name characters, not itself a token. */
function shownName(name: string): boolean {
  return name.length > 0 && name.length <= 64 && /^[A-Za-z0-9_.\-/ ]+$/.test(name) && findFormat(name) === undefined;
}

/**
 * References config programs resolve at load time, turned into OPAQUE like `${VAR}`: Grafana's
 * `$__env{X}`/`$__file{…}`/`$__vault{…}`, config providers (`${env:X}` of the OpenTelemetry
 * collector, `${file:/path:key}` of Kafka, `${vault:…}`), configparser's `%(name)s`, ERB's
 * `<%= … %>`. One pass; each reference is bounded and must close on its line.
 */
const PROVIDERS = new Set(['env', 'file', 'files', 'dir', 'directory', 'vault', 'aws', 'awssm', 'ssm', 'gcp', 'gcpsm', 'azure', 'azkv', 'k8s', 'secret', 'secrets', 'sys', 'yaml', 'http', 'https', 'config', 'ref', 'sops']);
const REFERENCE_SPAN = 512;

function configReferences(text: string): string {
  if (!text.includes('$__') && !text.includes('${') && !text.includes('%(') && !text.includes('<%')) return text;
  // The next `}`, `)`, `%>` and newline are searched once and reused while the scan is behind
  // them, so a text of unclosed openers is read a bounded number of times.
  const next = new Map<string, number>();
  const after = (what: string, from: number): number => {
    const known = next.get(what);
    if (known !== undefined && (known < 0 || known >= from)) return known;
    const found = text.indexOf(what, from);
    next.set(what, found);
    return found;
  };
  /** Just past the first `close` at or after `from`, on the same line and within REFERENCE_SPAN; else -1. */
  const closing = (from: number, close: string): number => {
    const at = after(close, from);
    if (at < 0 || at - from > REFERENCE_SPAN) return -1;
    const newline = after('\n', from);
    return newline >= 0 && newline < at ? -1 : at + close.length;
  };
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    let end = -1;
    if (c === '$' && text.startsWith('$__', i)) {
      const brace = wordThen(text, i + 3, '{');
      if (brace > 0) end = closing(brace, '}');
    } else if (c === '$' && text[i + 1] === '{') {
      const colon = wordThen(text, i + 2, ':');
      if (colon > 0 && PROVIDERS.has(text.slice(i + 2, colon).toLowerCase())) end = closing(colon, '}');
    } else if (c === '%' && text[i + 1] === '(') {
      const paren = closing(i + 2, ')');
      if (paren > 0 && text[paren] === 's') end = paren + 1;
    } else if (c === '<' && text[i + 1] === '%') {
      end = closing(i + 2, '%>');
    }
    if (end > 0) {
      out += text.slice(from, i) + OPAQUE;
      from = end;
      i = end - 1;
    }
  }
  return out + text.slice(from);
}

/** The index of `then` right after a run of word characters starting at `i`, or -1. */
function wordThen(text: string, i: number, then: string): number {
  let j = i;
  while (j < text.length && j - i < 64 && isWordChar(text.charCodeAt(j))) j++;
  return j > i && text[j] === then ? j : -1;
}

const isWordChar = (c: number): boolean => c === 95 || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** A value as the rules read it: no forged OPAQUE, program references and placeholders opaque. */
function prepared(value: string): string {
  return maskPlaceholders(configReferences(unforged(value)));
}

/** Argo CD's `$secret-name:key` and `$key`: where the value is kept, not the value. */
const DOLLAR_REFERENCE = /^\$[A-Za-z_][\w.:/-]{0,252}$/;

/**
 * Ciphertext a config server decrypts at load time: Spring Cloud Config's `{cipher}…` and
 * Jasypt's `ENC(…)`. Whoever reads the ConfigMap reads no credential.
 */
const CIPHERTEXT = /^(?:\{cipher\}|ENC\()/;
/**
 * A name ending in a unit measures something (`jwt.token-validity-seconds`,
 * `session.secret-rotation-hours`): its value is a quantity, not the credential it names.
 */
const UNIT_WORDS = new Set(['seconds', 'second', 'secs', 'sec', 'ms', 'millis', 'milliseconds', 'minutes', 'mins', 'hours', 'days', 'weeks', 'validity', 'bytes', 'kb', 'mb', 'bits', 'percent', 'percentage', 'ratio', 'attempts', 'tries']);

/**
 * The name ends in a unit, or in the plural of a setting word (`queue-sidecar-token-audiences`
 * is a list of audiences, as `…-token-audience` is one): a setting, whatever it is about.
 */
function measuresOrLists(words: readonly string[], s: CompiledCredentialSettings): boolean {
  const last = words[words.length - 1]!;
  if (UNIT_WORDS.has(last)) return true;
  return words.length > 1 && last.length > 3 && last.endsWith('s') && !nameFacts([...words.slice(0, -1), last.slice(0, -1)].join('_'), s).sensitive;
}


/** One entry of a file: by its name first, then by the structure of a single-line value. */
function entryCredential(e: ConfigEntry, s: CompiledCredentialSettings): string | undefined {
  const value = prepared(e.value).trim();
  if (value === '' || DOLLAR_REFERENCE.test(value) || CIPHERTEXT.test(unquote(value))) return undefined;
  // nginx reads `$name` as its own variable: the program, not the kubelet, reads these values.
  if (e.header) return inHeader(e.name, value, s, 'shell');
  const facts = nameFacts(e.name, s);
  if (facts.sensitive && !measuresOrLists(facts.words, s)) {
    // A connection string is a list of settings; only its credential keys make it one.
    if (facts.connectionString && /[=;]/.test(value)) return inStructure(value, s) ? 'credential in a connection string' : undefined;
    const credential = afterAuthScheme(value);
    if (facts.auth && isAuthMechanism(credential)) return undefined;
    if (namesSecretObject(facts.words, credential)) return undefined;
    if (isLiteralSecret(credential) && !isSelfNamed(e.name, credential)) return 'sensitive key with a literal value';
    return undefined;
  }
  // A single value that is itself a list of settings: `sasl.jaas.config=… password="x";`,
  // libpq's `primary_conninfo = 'host=db password=x'`, a JDBC URL's `;password=x`.
  if (!value.includes('\n') && value.length <= 4096 && inStructure(value, s)) return 'credential in a key=value pair';
  return undefined;
}

/** How a finding is named in messages: which key, which grammar, where in it. */
export function describeFinding(f: ConfigMapFinding): string {
  const at = f.line !== undefined ? `, line ${f.line}${f.entry !== undefined ? ` (${JSON.stringify(f.entry)})` : ''}` : '';
  const grammar = f.format === 'variable' ? 'a variable through envFrom' : `read as ${FORMAT_NAMES[f.format]}`;
  return `data key ${JSON.stringify(f.key)} (${grammar})${at}`;
}
