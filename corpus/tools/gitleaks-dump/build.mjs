// Turns gitleaks-dump's JSON (the rules' true and false positives) into
// corpus/sources/gitleaks.yaml: container cases with our labels.
//
// Usage (from the repository root):
//   (cd corpus/tools/gitleaks-dump && go run .) > /tmp/gitleaks-fixtures.json
//   npx node corpus/tools/gitleaks-dump/build.mjs /tmp/gitleaks-fixtures.json > corpus/sources/gitleaks.yaml
//
// Every fixture keeps its source rule file in `from:`. A true positive becomes the bare
// token under a neutral name (so the case tests the format, not the name) when the rule has
// a format of its own, plus the fixture as written: NAME=value when the fixture assigns to
// an identifier, the line in an `sh -c` script when it is a command, or the text as a
// config value otherwise. A false positive becomes the fixture as written and, when it
// assigns to a name, also its value under a neutral name.
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';

const COMMIT = '83d9cd684c87d95d656c1458ef04895a7f1cbd8e';
const dump = JSON.parse(readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8'));

const NEUTRAL = ['VALUE', 'APP_SETTING'];
const CONFIG = 'APP_CONFIG';
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const MAX_LITERAL = 3;
const MAX_LITERAL_NO_SAMPLES = 5;

// A rule whose regex needs an identifier next to the value (gitleaks' "semi-generic"
// rules) has no format of its own: its bare value under a neutral name is an opaque string.
// The same holds for rules that read the value's surroundings: a header, a user:password
// pair, a file's path or a YAML key.
const CONTEXT_RULES = new Set([
  'curl-auth-header', 'curl-auth-user', 'gcp-service-account', 'hashicorp-tf-password',
  'kubernetes-secret-yaml', 'nuget-config-password', 'pkcs12-file', 'sidekiq-sensitive-url',
]);
const needsName = (rule) => rule.regex.includes('{0,50}?') || CONTEXT_RULES.has(rule.rule);

// The token on its own: what the rule captures, or its whole match when the capture is only
// a fragment of the token (a named group inside it).
function token(t) {
  const secret = t.secrets[0];
  const match = t.matches[0];
  if (secret === undefined) return undefined;
  if (match && secret.length < 0.6 * match.length && !/\s/.test(match)) return match;
  return secret;
}

// Placeholders and documentation values among gitleaks' true positives.
const PLACEHOLDERS = [
  [/EXAMPLE/, 'documentation value (EXAMPLE filler)'],
  [/12345678-ABCD-ABCD-ABCD-1234567890AB/, 'documentation template value (12345678-ABCD-...)'],
  [/abc12(3xyz|fake)-456de/, 'documentation value built from alphabet and digit runs'],
  [/cafeba[bB]e:deadbeef|cafeb4b3:d3adb33f/, 'hexspeak example pair from the vendor docs (cafebabe:deadbeef)'],
  [/x{12,}/i, 'format filled with x'],
  [/AGE-SECRET-KEY-1Q{58}/, 'key filled with bech32 q (zero)'],
];
// Samples generated from a rule's regex that are not the credential the rule names.
const SAMPLE_NOTES = {
  jwt: 'generated from the regex, it is not a JWT: the parts do not decode to JSON',
};
const placeholder = (text) => PLACEHOLDERS.find(([re]) => re.test(text))?.[1];

// Our labels where they differ from gitleaks'. Keys are rule#n with n the 1-based index in
// the dump's sorted list; `label` is for the fixture as written, `neutral` for its value
// under a neutral name.
const TP_OVERRIDES = {
  'gcp-service-account#1': { label: 'admit', why: 'the marker line of a key file, with no key in it' },
  'kubernetes-secret-yaml#3': { label: 'admit', why: 'the Secret holds only a CA certificate, which is public' },
};
const jwtNone = { label: 'deny', neutral: 'deny', why: 'an unsigned (alg none) JWT: a server that accepts alg none takes it as a credential, so it is one in a workload (issue 10 asks for it)' };
const otherCloudflare = { label: 'deny', why: 'another Cloudflare credential under its own name: an fp only for this rule' };
const originCa = { label: 'deny', neutral: 'deny', why: 'a Cloudflare origin CA key (v1.0- format): an fp only for this rule' };
const nonMatching = { label: 'deny', why: 'a random literal under a token name; gitleaks skips it only because it is not this rule\'s format' };
const FP_OVERRIDES = {
  'mailchimp-api-key#1': { label: 'deny', why: 'a Mailchimp key in its own format; gitleaks skips it only because of the text before it' },
  'cisco-meraki-api-key#2': { label: 'deny', why: 'a literal under an API key name; gitleaks skips it only because its format check wants lowercase hex' },
  'cisco-meraki-api-key#5': { label: 'deny', why: 'a literal under a token name; gitleaks skips it only because it is longer than a Meraki key' },
  'cloudflare-api-key#1': otherCloudflare,
  'cloudflare-api-key#2': originCa,
  'cloudflare-api-key#3': originCa,
  'cloudflare-api-key#4': otherCloudflare,
  'cloudflare-api-key#5': otherCloudflare,
  'cloudflare-global-api-key#1': otherCloudflare,
  'cloudflare-global-api-key#2': originCa,
  'cloudflare-global-api-key#3': originCa,
  'cloudflare-global-api-key#4': otherCloudflare,
  'cloudflare-global-api-key#5': otherCloudflare,
  'cloudflare-origin-ca-key#1': otherCloudflare,
  'cloudflare-origin-ca-key#2': otherCloudflare,
  'cloudflare-origin-ca-key#3': otherCloudflare,
  'cloudflare-origin-ca-key#4': otherCloudflare,
  'cloudflare-origin-ca-key#5': otherCloudflare,
  'cloudflare-origin-ca-key#6': otherCloudflare,
  'curl-auth-header#4': { label: 'deny', why: 'a signed JWT in an Authorization header on a command line; gitleaks skips it only because Basic expects user:password' },
  'curl-auth-user#14': { label: 'deny', why: 'a literal user:password on a command line; weak (test:test) is still a password' },
  'freemius-secret-key#3': { label: 'deny', why: 'the same secret key as the true positive; gitleaks skips it only for the file extension' },
  'generic-api-key#13': { label: 'deny', why: 'a literal API key under an apiKey name; gitleaks stop-words it as a known public key, which a workload check cannot know' },
  'hashicorp-tf-password#3': { label: 'deny', why: 'a literal password; gitleaks skips it only because the file is not Terraform' },
  'nuget-config-password#1': { label: 'deny', why: 'a literal ClearTextPassword; gitleaks skips it only for the file name case' },
  'nuget-config-password#2': { label: 'deny', why: 'a literal ClearTextPassword; gitleaks skips it only for the file name case' },
  'nuget-config-password#4': { label: 'deny', why: 'a literal ClearTextPassword; short (abc) is still a password' },
  'nuget-config-password#6': { label: 'deny', why: 'a literal password; gitleaks skips it only because the file is not NuGet.Config' },
  'settlemint-application-access-token#1': nonMatching,
  'settlemint-application-access-token#2': nonMatching,
  'settlemint-personal-access-token#1': nonMatching,
  'settlemint-personal-access-token#2': nonMatching,
  'settlemint-service-access-token#1': nonMatching,
  'settlemint-service-access-token#2': nonMatching,
  'stripe-access-token#1': nonMatching,
  'sumologic-access-token#3': { label: 'deny', why: 'a literal under an access key name; short but not a placeholder form' },
  'telegram-bot-api-token#1': { label: 'deny', why: 'a literal under a token name; gitleaks skips it only because the bot id is too short' },
  'telegram-bot-api-token#2': { label: 'deny', why: 'a literal under a token name; gitleaks skips it only because the bot id is too long' },
  ...Object.fromEntries([5, 6, 7, 8, 9, 10].map((n) => [`telegram-bot-api-token#${n}`,
    { label: 'deny', why: 'a bot token under a token name; gitleaks skips it only because more text follows the token' }])),
};

// NAME <op> value on one line, as the fixtures write assignments in many languages.
const ASSIGN = /^\s*(?:export\s+|var\s+|const\s+|let\s+|set\s+|ENV\s+|ARG\s+|String\s+|string\s+|\$)?(["'`]?)([A-Za-z_][\w.-]*)\1\s*(?:string\s*)?(?::{1,3}=|\?=|\.=|=>|=|:(?!\/))\s*(.*?)\s*[;,]?\s*$/;
function assignment(text) {
  if (text.includes('\n')) return undefined;
  const m = ASSIGN.exec(text);
  if (!m) return undefined;
  let value = m[3];
  const q = value[0];
  if ((q === '"' || q === "'" || q === '`') && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
  if (value === '' || /["'`]/.test(value) || /\s/.test(value)) return undefined;
  if (!ENV_NAME.test(m[2])) return undefined;
  return { name: m[2], value };
}

const SHELL = /^\s*(?:[#$]\s*|sh-5\.0\$\s*)?(?:curl|oc|export|huggingface-cli|docker|kubectl|helm|wget|python|DEV=|-e |--set|--header|-H |-vaultToken|Set-PSU|ENV |ARG |set )/;

// The fixture as it would sit in a workload.
function asWritten(fixture) {
  if (fixture.path !== undefined) {
    const file = fixture.path.split('/').pop();
    return { command: ['sh', '-c', `cat > /etc/app/${file} <<'EOF'\n${fixture.value}\nEOF`] };
  }
  const a = assignment(fixture.value);
  if (a) return { env: { [a.name]: a.value }, neutralValue: a.value };
  if (SHELL.test(fixture.value)) return { command: ['sh', '-c', fixture.value.replace(/^\s*\$\s+/, '')] };
  if (!/\s/.test(fixture.value)) return { env: { VALUE: fixture.value } };
  return { env: { [CONFIG]: fixture.value } };
}

const reverse = (s) => Array.from(s).reverse().join('');
function encode(c) {
  const out = { id: c.id, from: c.from };
  if (c.env) out.env = Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, reverse(v)]));
  if (c.command) out.command = c.command.map(reverse);
  out.expect = c.expect;
  out.peer = c.peer;
  if (c.why) out.why = c.why;
  return out;
}

const cases = [];
const stats = { deny: 0, admit: 0 };
for (const rule of dump.rules) {
  const from = rule.file;
  const n = { tp: 0, fp: 0 };
  const seen = new Set();
  const push = (kind, body, expect, why) => {
    const key = JSON.stringify(body);
    if (seen.has(key)) return;
    seen.add(key);
    n[kind] += 1;
    const peer = kind === 'tp' ? 'deny' : 'admit';
    cases.push({ id: `${rule.rule}-${kind}-${n[kind]}`, from, ...body, expect, peer, why: expect === peer ? undefined : why });
    stats[expect] += 1;
  };
  const formatOwn = !needsName(rule);
  // Client and access ids name an account; they do not authenticate (the guide's *_ID
  // settings). Their cases are negatives, under an id name.
  const idKind = /-(client-id|access-id|user-api-id)$/.exec(rule.rule)?.[1];
  const suffix = idKind ? `_${idKind.toUpperCase().replaceAll('-', '_')}` : '_TOKEN';
  const ID_WHY = 'an account or client id: it names, it does not authenticate';

  // True positives made from the rule's sample secrets.
  const samples = [];
  for (const s of rule.samples) if (!samples.some((x) => x.secret === s.secret)) samples.push(s);
  samples.slice(0, 2).forEach((s, i) => {
    const ph = placeholder(s.secret) ?? (idKind && ID_WHY);
    const expect = ph ? 'admit' : 'deny';
    // A sample that is not the rule's credential is still a literal under a credential name.
    const note = ph ?? SAMPLE_NOTES[rule.rule];
    if (formatOwn) push('tp', { env: { [NEUTRAL[i]]: s.secret } }, note ? 'admit' : 'deny', note);
    const upper = `${s.identifier.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}${suffix}`;
    if (i === 0 || !formatOwn) {
      if (ENV_NAME.test(upper)) push('tp', { env: { [upper]: s.secret } }, expect, ph);
      else push('tp', { env: { [CONFIG]: `${s.identifier}${suffix.toLowerCase()}: ${s.secret}` } }, expect, ph);
    }
    if (i === 0) push('tp', { env: { [CONFIG]: `{"config.ini": "${s.identifier.toUpperCase()}${suffix}=${s.secret}\\nBACKUP_ENABLED=true"}` } }, expect, ph);
  });

  // True positives written out in the rule file.
  const sampleSecrets = rule.samples.map((s) => s.secret);
  const literal = rule.tps
    .map((t, i) => ({ ...t, index: i + 1 }))
    .filter((t) => !sampleSecrets.some((s) => t.value.includes(s)));
  const limit = rule.samples.length ? MAX_LITERAL : MAX_LITERAL_NO_SAMPLES;
  const neutralSeen = new Set();
  for (const t of literal.slice(0, limit)) {
    const o = TP_OVERRIDES[`${rule.rule}#${t.index}`] ?? {};
    const secret = token(t);
    const ph = placeholder(t.value) ?? (idKind && ID_WHY);
    const none = secret?.startsWith('eyJhbGciOiJub25lIn0') ? jwtNone : undefined;
    const label = o.label ?? none?.label ?? (ph ? 'admit' : 'deny');
    const why = o.why ?? none?.why ?? ph;
    if (t.path !== undefined && t.value === '') {
      // A keystore found by its file name: in a workload only its path shows.
      push('tp', { env: { KEYSTORE_FILE: `/etc/app/${t.path.split('/').pop()}` } }, 'admit', 'a path to a keystore is a setting; gitleaks flags the file itself');
      continue;
    }
    const bare = secret !== undefined && t.value.trim() === secret;
    if (formatOwn && secret && !neutralSeen.has(secret)) {
      neutralSeen.add(secret);
      push('tp', { env: { [NEUTRAL[neutralSeen.size % 2]]: secret } }, o.neutral ?? none?.neutral ?? label, why);
    }
    // A fixture that is the token alone is covered by the neutral case.
    if (bare && formatOwn) continue;
    const w = asWritten(t);
    push('tp', { env: w.env, command: w.command }, label, why);
  }

  // False positives, all of them.
  rule.fps.forEach((f, i) => {
    const o = { ...(FP_OVERRIDES[`${rule.rule}#${i + 1}`] ?? {}) };
    if (f.path !== undefined && f.value === '') {
      push('fp', { env: { KEYSTORE_FILE: `/etc/app/${f.path.split('/').pop()}` } }, 'admit');
      return;
    }
    const w = asWritten(f);
    // gitleaks allowlists Google API keys published in public code (Firebase samples); a key
    // in a workload is a credential however many people have seen it.
    if (rule.rule === 'gcp-api-key' && /^AIza[\w-]{35}$/.test(f.value.trim()) && !placeholder(f.value) && !/(.)\1{7}/.test(f.value)) {
      o.label ??= 'deny'; o.neutral ??= 'deny'; o.why ??= 'a Google API key: gitleaks allowlists these because they are published in public code, which does not make one safe in a workload';
    }
    push('fp', { env: w.env, command: w.command }, o.label ?? 'admit', o.why);
    if (w.neutralValue !== undefined) push('fp', { env: { VALUE: w.neutralValue } }, o.neutral ?? 'admit', o.why);
  });
}

for (const c of cases) {
  if (c.env === undefined) delete c.env;
  if (c.command === undefined) delete c.command;
}

const doc = {
  source: 'gitleaks',
  title: `gitleaks rule tests (true and false positives), ${dump.version}`,
  repo: 'https://github.com/gitleaks/gitleaks',
  commit: COMMIT,
  licence: 'MIT',
  rules: ['plaintext-credential'],
  encoding: 'reversed',
  cases: cases.map(encode),
};
const header = [
  `# Generated from gitleaks ${dump.version} (${dump.module}) by corpus/tools/gitleaks-dump;`,
  '# see its README for how to regenerate. Labels are ours (peer: is gitleaks\'); values are',
  '# stored reversed (encoding: reversed).',
  `# ${cases.length} cases: ${stats.deny} deny, ${stats.admit} admit.`,
  '',
].join('\n');
process.stdout.write(header + stringify(doc, { lineWidth: 0 }));
