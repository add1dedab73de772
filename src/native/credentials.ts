// Native plaintext-credential policy (ValidatingAdmissionPolicy). See common.ts.
//
// The API server denies the part of the webhook's plaintext-credential rule that a few regexes
// decide exactly, without the judge's context (docs/native.md "What the native layer covers"):
// 1. a literal env value under a name the judge always reads as a credential;
// 2. a sensitive-named variable read from a ConfigMap (configMapKeyRef);
// 3. a URL whose userinfo holds a literal password, in any env value;
// 4. a whole env value that is one token of a known issuer's format, and that no test of the
//    judge's filler test (runs, counting sequences, repeated patterns, few distinct characters,
//    documentation words) could call a placeholder.
// Every word list and pattern below is generated from the judge's own tables (src/recognize),
// and each condition is a narrowing of the judge's: test/unit/native-credentials.test.ts runs
// the judge on every case this policy denies.

import type { Config } from '../config/config.ts';
import { ACTION_TOKENS, GLUED_SUFFIXES, OPERATION_TOKENS, SENSITIVE_PAIRS, SENSITIVE_TOKENS } from '../recognize/names.ts';
import { FORMATS } from '../recognize/formats.ts';
import { celNotFiller, FILLER_ALPHABET, FILLER_VARIABLES, MAX_FILLER_TESTED, notFiller } from './filler.ts';
import { DOCUMENTATION, DURATION, HEADER_NAME, MASKED, PUBLISHABLE_KEY, TLS_SUFFIX, VENDOR_PLACEHOLDER } from '../recognize/literals.ts';
import { celString, modeBindings, nativeHead, POD_SPEC_VARIABLES, SEE_CHECK, vapVersion, WORKLOAD_MATCH, type KubeObject, type Target } from './common.ts';

export const CREDENTIAL_POLICY = 'extguard-native-plaintext-credential';

const sorted = (words: Iterable<string>): string[] => [...new Set(words)].sort();
const alternation = (words: Iterable<string>): string => sorted(words).join('|');

/**
 * Longest value judged under a credential's name. From 16 characters on, the judge drops a value
 * that reads as filler (isFiller), so the policy then requires filler.ts's test too; longer
 * values stay with the webhook.
 */
export const MAX_VALUE_LENGTH = 64;
/** Length from which the judge's literal test applies isFiller. */
export const FILLER_FROM = 16;

/**
 * A value the judge reads as a literal whoever reads it (kubelet or shell): only letters,
 * digits, `_`, `+` and `-` (no `$` reference, `%`/`@`/`#{}` marker, quote, `:` or `/` of a
 * secret manager, path or URL, `.` of a truncation or `var.` reference, no blank), mixing
 * letters and digits (no boolean, mode word, number setting, placeholder word, instruction
 * `verb-words`, or one repeated character), no `__` substitution marker.
 */
export const LITERAL_VALUE = `^[A-Za-z0-9_+-]{1,${MAX_VALUE_LENGTH}}$`;

/**
 * An alternation of patterns, some case-insensitive. CEL runs it as one RE2 expression with
 * `(?i:…)` groups; the TypeScript model tests each part with its own flags (V8's `(?i:…)`
 * modifier mis-folds `µ` inside alternations, and the model must not depend on it).
 */
interface Alternation { parts: ReadonlyArray<{ source: string; ignoreCase: boolean }> }
const fromRegExps = (...res: RegExp[]): Alternation => ({ parts: res.map((re) => ({ source: re.source, ignoreCase: re.flags.includes('i') })) });
export const re2 = (a: Alternation): string => a.parts.map((p) => (p.ignoreCase ? `(?i:${p.source})` : `(?:${p.source})`)).join('|');
const tester = (a: Alternation): ((s: string) => boolean) => {
  const res = a.parts.map((p) => new RegExp(p.source, p.ignoreCase ? 'i' : ''));
  return (s) => res.some((re) => re.test(s));
};

/** Forms the judge drops although they pass LITERAL_VALUE: its own regexes, case flags kept. */
export const NOT_LITERAL = fromRegExps(DURATION, HEADER_NAME, VENDOR_PLACEHOLDER, MASKED, DOCUMENTATION, PUBLISHABLE_KEY, TLS_SUFFIX);

/**
 * Instructions (`your-db-password1`, `token1-here`) and the empty PEM armour: the judge's
 * isInstruction and isEmptyArmour, by the words that start them.
 */
export const INSTRUCTION: Alternation = { parts: [{ source: 'your|here', ignoreCase: true }, { source: '^-----BEGIN', ignoreCase: false }] };

/** Words that, anywhere in a name, make the judge read it as a setting or an operation's token. */
export const NAME_STOP_WORDS = sorted([...ACTION_TOKENS, ...OPERATION_TOKENS, 'id', 'gpg', 'pgp', 'gnupg']);

/**
 * The name's last word(s): credential words, glued ones (PGPASSWORD) and pairs (API_KEY),
 * grouped by their last word so that the pattern stays short (a regex costs its length).
 */
function headAlternatives(): string[] {
  const byLast = new Map<string, string[]>();
  for (const p of SENSITIVE_PAIRS) byLast.set(p[p.length - 1]!, [...(byLast.get(p[p.length - 1]!) ?? []), p.slice(0, -1).join('[0-9]*[_.-]+')]);
  return [
    ...sorted(SENSITIVE_TOKENS),
    `[a-z]*(?:${alternation(GLUED_SUFFIXES)})`,
    ...sorted(byLast.keys()).map((last) => `(?:${alternation(byLast.get(last)!)})[0-9]*[_.-]+${last}`),
  ];
}

/**
 * Names written in one case (DB_PASSWORD, db.password2): the words the judge splits them into
 * are then exactly their letter runs, so CREDENTIAL_NAME reads them lower-cased.
 */
export const ONE_CASE_NAME = '^[A-Z0-9_.-]+$|^[a-z0-9_.-]+$';

/**
 * A name (lower-cased, of ONE_CASE_NAME) whose last word is a credential word of the judge's
 * table: PASSWORD, DB_PASSWORD, PGPASSWORD, API_KEY, db.password2. Its words are letters with
 * an optional digit suffix, separated by `_`, `.` or `-`.
 */
export const CREDENTIAL_NAME = `^(?:[a-z]*[0-9]*[_.-]+)*(?:${headAlternatives().join('|')})[0-9]*$`;

/**
 * The value repeats its name (`DB_PASSWORD=db-password1`): the judge's isSelfNamed leaves
 * those to sed. Such a value holds the name's last word, so a value holding no credential word
 * of the table is never one.
 */
export const SELF_NAMED: Alternation = { parts: [{ source: alternation([...SENSITIVE_TOKENS, ...GLUED_SUFFIXES, ...SENSITIVE_PAIRS.map((p) => p[p.length - 1]!)]), ignoreCase: true }] };

/** scheme://user:password@host[:port][/…]: userinfo the judge's urlSpans splits at its first `:`. */
export const URL_WITH_PASSWORD = '^[A-Za-z][A-Za-z0-9+.-]{0,20}://[A-Za-z0-9_-]+:[A-Za-z0-9_+-]+@[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#].*)?$';
/** The password of URL_WITH_PASSWORD: the first `:…@` (the scheme's `:` is followed by `/`). */
export const URL_PASSWORD = ':[A-Za-z0-9_+-]+@';

for (const re of [LITERAL_VALUE, re2(NOT_LITERAL), re2(INSTRUCTION), ONE_CASE_NAME, CREDENTIAL_NAME, re2(SELF_NAMED), URL_WITH_PASSWORD, URL_PASSWORD]) {
  // Written as CEL raw strings (r'…'), where a quote would end the literal.
  if (re.includes("'")) throw new Error(`native credential pattern holds a quote: ${re}`);
}

// CEL, over one env entry `e`. Costs, per env entry: two RE2 matches of the name (a short
// one-case check, then about 700 characters of pattern), then for the few names that match, four matches on a
// value of at most 15 characters; the URL check is one match of the value, and the rest runs only
// on values that look like such a URL. See docs/native.md "Cost" for the measured limits.
const cel = {
  name: (n: string) => `${n}.matches(r'${ONE_CASE_NAME}') && ${n}.lowerAscii().matches(r'${CREDENTIAL_NAME}') && !${n}.lowerAscii().findAll(r'[a-z]+').exists(w, w in variables.nameStopWords)`,
  literal: (v: string) => `${v}.matches(r'${LITERAL_VALUE}') && ${v}.matches(r'[A-Za-z]') && ${v}.matches(r'[0-9]') && !${v}.contains('__') && !${v}.matches(r'${re2(NOT_LITERAL)}') && !${v}.matches(r'${re2(INSTRUCTION)}') && (size(${v}) < ${FILLER_FROM} || (${celNotFiller(v)}))`,
};
export const CEL_LITERAL_UNDER_NAME = `!has(e.valueFrom) && has(e.value) && ${cel.name('e.name')} && ${cel.literal('e.value')} && !e.value.matches(r'${re2(SELF_NAMED)}')`;
export const CEL_CONFIGMAP_UNDER_NAME = `has(e.valueFrom) && has(e.valueFrom.configMapKeyRef) && ${cel.name('e.name')}`;
export const CEL_URL_PASSWORD = `!has(e.valueFrom) && has(e.value) && e.value.contains('://') && e.value.matches(r'${URL_WITH_PASSWORD}') && ${cel.literal(`e.value.find(r'${URL_PASSWORD}').substring(1, size(e.value.find(r'${URL_PASSWORD}')) - 1)`)}`;

/**
 * Token formats read natively: each issues tokens of one fixed length, so a whole env value of
 * that format is exactly the judge's match (nothing after it to read as a documentation word),
 * and its pattern has no lookaround once its word boundaries are dropped. Formats proven by
 * their context (PEM armour, PuTTY files, Vault's and Octopus' verify tests), written inside URLs
 * or connection strings, or whose issuers' tokens run longer than the pattern are left to the
 * webhook. The patterns are the judge's (FORMATS), not copies.
 */
export const NATIVE_FORMATS: readonly string[] = [
  '1Password secret key', 'AWS access key ID', 'Adobe client secret', 'Airtable token', 'Alibaba Cloud access key ID', 'Artifactory token',
  'ClickHouse Cloud secret', 'Clojars token', 'DigitalOcean token', 'Databricks token', 'Docker Hub token', 'Doppler token', 'Duffel token',
  'Dynatrace token', 'EasyPost token', 'Frame.io token', 'GitHub token', 'GitLab runner registration token', 'GitLab token', 'Google API key',
  'Grafana token', 'Groq API key', 'Heroku token', 'Hugging Face token', 'Linear API key', 'Mailgun API key', 'New Relic key', 'Notion token',
  'OpenShift user token', 'Perplexity API key', 'PlanetScale token', 'Postman API key', 'Prefect or Pulumi token', 'ReadMe token', 'RubyGems token',
  'Scalingo token', 'SendGrid API key', 'Sendinblue API key', 'Shippo token', 'Shopify token', 'Sourcegraph token', 'Twilio API key', 'age secret key',
];

/** A format's pattern for a whole value: its word boundaries and trailing lookahead dropped (they hold at the ends of a whole value). */
function wholeValueSource(re: RegExp): string {
  const src = re.source.replace(/^\\b/, '').replace(/(?:\\b|\(\?![^()]*\))$/, '');
  if (/\(\?[=!<]|\\b|\\[1-9]/.test(src)) throw new Error(`native token format has lookaround or a back-reference: ${re.source}`);
  return src;
}

/** Every native format's pattern, anchored: one RE2 alternation. */
export const NATIVE_FORMAT_SOURCES: ReadonlyArray<{ what: string; source: string }> = FORMATS.filter((f) => NATIVE_FORMATS.includes(f.what)).map((f) => ({ what: f.what, source: wholeValueSource(f.regex) }));
export const TOKEN_FORMAT = `^(?:${NATIVE_FORMAT_SOURCES.map((f) => f.source).join('|')})$`;
if (FORMATS.filter((f) => NATIVE_FORMATS.includes(f.what) && !f.verify).length !== FORMATS.filter((f) => NATIVE_FORMATS.includes(f.what)).length) {
  throw new Error('a native token format has a verify test the native layer cannot run');
}
{
  const known = new Set(FORMATS.map((f) => f.what));
  for (const w of NATIVE_FORMATS) if (!known.has(w)) throw new Error(`native token format "${w}" is not one of the judge's formats`);
}

/** The first two characters of every native format's hints: a cheap map lookup before the long pattern. */
export const TOKEN_HEADS: readonly string[] = sorted(FORMATS.filter((f) => NATIVE_FORMATS.includes(f.what)).flatMap((f) => f.hints.map((h) => h.slice(0, 2))));
/** Longest whole value tested for a format: longer than every native format's token. */
export const MAX_TOKEN_LENGTH = MAX_FILLER_TESTED;
export const TOKEN_ALPHABET = `^[${FILLER_ALPHABET}]+$`;

if (TOKEN_FORMAT.includes("'")) throw new Error(`native token pattern holds a quote: ${TOKEN_FORMAT}`);

/**
 * Cost: one map lookup of the value's first two characters for every value; for the few with a
 * token's head, one match of the formats' pattern (about 1,500 characters) and, on a match,
 * the filler test (filler.ts).
 */
export const CEL_TOKEN_FORMAT = [
  '!has(e.valueFrom) && has(e.value)',
  `size(e.value) >= 16 && size(e.value) <= ${MAX_TOKEN_LENGTH}`,
  'e.value.substring(0, 2) in variables.tokenHeads',
  `e.value.matches(r'${TOKEN_ALPHABET}')`,
  `e.value.matches(r'${TOKEN_FORMAT}')`,
  celNotFiller('e.value'),
].join(' && ');

const tokenFormat = new RegExp(TOKEN_FORMAT);

const notLiteral = tester(NOT_LITERAL);
const instruction = tester(INSTRUCTION);
const selfNamed = tester(SELF_NAMED);

/** The same conditions in TypeScript, from the same pattern strings (the unit tests run the judge on what it says). */
export const model = {
  name(name: string): boolean {
    return new RegExp(ONE_CASE_NAME).test(name) && new RegExp(CREDENTIAL_NAME).test(name.toLowerCase()) && !(name.toLowerCase().match(/[a-z]+/g) ?? []).some((w) => NAME_STOP_WORDS.includes(w));
  },
  literal(v: string): boolean {
    return new RegExp(LITERAL_VALUE).test(v) && /[A-Za-z]/.test(v) && /[0-9]/.test(v) && !v.includes('__') && !notLiteral(v) && !instruction(v) && (v.length < FILLER_FROM || notFiller(v));
  },
  literalUnderName(name: string, value: string): boolean {
    return model.name(name) && model.literal(value) && !selfNamed(value);
  },
  configMapUnderName(name: string): boolean {
    return model.name(name);
  },
  tokenFormat(value: string): boolean {
    if (value.length < 16 || value.length > MAX_TOKEN_LENGTH || !TOKEN_HEADS.includes(value.slice(0, 2))) return false;
    return new RegExp(TOKEN_ALPHABET).test(value) && tokenFormat.test(value) && notFiller(value);
  },
  urlPassword(value: string): boolean {
    if (!new RegExp(URL_WITH_PASSWORD).test(value)) return false;
    const p = new RegExp(URL_PASSWORD).exec(value)![0];
    return model.literal(p.slice(1, -1));
  },
};

/** Containers (by name) whose env entries match `pred`, with those entries' names: never a value. */
const offenders = (pred: string, field: string): string =>
  `variables.containers.filter(c, has(c.env) && c.env.exists(e, ${pred})).map(c, 'container ' + c.name + ': env ' + c.env.filter(e, ${pred}).map(e, e.name).join(', ') + ' (${field})').join('; ')`;

/** A CEL string literal holding `text`. */

const validation = (pred: string, field: string, what: string, fix: string): object => ({
  expression: `!variables.containers.exists(c, has(c.env) && c.env.exists(e, ${pred}))`,
  message: `[plaintext-credential] ${what}: ${fix}; ${SEE_CHECK}`,
  messageExpression: `'[plaintext-credential] ' + ${offenders(pred, field)} + ${celString(`: ${what}: ${fix}; ${SEE_CHECK}`)}`,
  reason: 'Forbidden',
});

export function credentialPolicies(config: Config, target: Target): KubeObject[] {
  const secretFix = 'keep it in a Secret and read it with valueFrom.secretKeyRef';
  const policy: KubeObject = {
    ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicy', CREDENTIAL_POLICY),
    spec: {
      // An error (a cost limit, a field of an unexpected shape) admits: the webhook judges the
      // object, and the native layer must never refuse what it would admit.
      failurePolicy: 'Ignore',
      matchConstraints: WORKLOAD_MATCH,
      matchConditions: [
        // The webhook admits an UPDATE of a Pod, or of an object being deleted, that leaves every
        // container as it was; a Pod's env cannot change, so such updates are left to it.
        { name: 'judged-like-the-webhook', expression: "!(request.operation == 'UPDATE' && (object.kind == 'Pod' || has(object.metadata.deletionTimestamp)))" },
      ],
      variables: [
        ...POD_SPEC_VARIABLES,
        { name: 'nameStopWords', expression: `{${NAME_STOP_WORDS.map((w) => `'${w}': true`).join(', ')}}` },
        { name: 'tokenHeads', expression: `{${TOKEN_HEADS.map((w) => `${celString(w)}: true`).join(', ')}}` },
        ...FILLER_VARIABLES,
      ],
      validations: [
        validation(CEL_LITERAL_UNDER_NAME, 'value', 'a literal credential under a credential\'s name', secretFix),
        validation(CEL_CONFIGMAP_UNDER_NAME, 'valueFrom.configMapKeyRef', 'a credential read from a ConfigMap, which anyone who may read ConfigMaps sees', secretFix),
        validation(CEL_URL_PASSWORD, 'value', 'a literal password in a URL', `${secretFix} (compose the URL with $(VAR) from it)`),
        validation(CEL_TOKEN_FORMAT, 'value', "a token in a known issuer's format", `revoke it, then ${secretFix}`),
      ],
    },
  };
  return [policy, ...modeBindings(CREDENTIAL_POLICY, config, target)];
}
