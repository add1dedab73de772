// Token formats: a credential whatever the variable is called. Prefixes, lengths, alphabets
// and checksums are facts published by the issuers and collected by gitleaks; the
// expressions are ours. Only presence matters, so a minimum length is written as an exact
// count ({20}, not {20,}): the same strings match and nothing rescans a long run.
//
// A format filled with a placeholder is not a credential: `ghp_xxxx…`, `glpat-XXXX…`,
// `AKIAIOSFODNN7EXAMPLE`, a PEM armour around nothing. Where the format carries a checksum
// (GitHub's CRC32) a valid one proves a real token; otherwise the token must not read as
// filler (long runs of one character, a counting sequence, a documentation word).

import { crc32 } from 'node:zlib';

interface Format {
  what: string;
  /** Literal strings one of which the text must contain before the regex runs (cheap pre-filter). */
  hints: readonly string[];
  /** Global: every match is tried, so a placeholder does not hide a real token after it. */
  regex: RegExp;
  /** Structure the match must have, beyond not being filler. */
  verify?: (text: string, start: number, end: number, memo: Memo) => boolean;
  /** A valid checksum proves a real token, even one that reads like filler. */
  checksum?: (match: string) => boolean;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** GitHub's tokens end in the base62 CRC32 of their 30 random characters, padded to 6. */
function githubChecksum(match: string): boolean {
  const body = match.slice(match.indexOf('_') + 1);
  if (body.length !== 36) return false;
  let n = crc32(body.slice(0, 30));
  let encoded = '';
  while (n > 0) { encoded = BASE62[n % 62]! + encoded; n = Math.floor(n / 62); }
  return encoded.padStart(6, '0') === body.slice(30);
}

/**
 * A private key's armour must hold a key: at least 40 base64 characters before the next
 * `-----` (its END line, or the next armour). Stopping there keeps the scans of repeated
 * headers disjoint, so a text of nothing but headers is read once.
 */
function pemHasBody(text: string, _start: number, end: number): boolean {
  let n = 0;
  for (let i = end; i < text.length && i - end < 4096 && n < 40; i++) {
    const c = text.charCodeAt(i);
    if (c === 45 /* - */ && text.startsWith('-----', i)) break;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47) n++;
  }
  return n >= 40;
}

/** `-----BEGIN PRIVATE KEY-----` with nothing (or `...`) before its END: documentation, not a key. */
export function isEmptyArmour(value: string): boolean {
  return value.startsWith('-----BEGIN') && !pemHasBody(value, 0, value.indexOf('-----', 10) + 5);
}

/** Random tokens mix upper case, lower case and digits; words and settings do not. */
const mixed = (token: string): boolean => /[0-9]/.test(token) && /[a-z]/.test(token) && /[A-Z]/.test(token) && !isFiller(token);

/** A PuTTY key file holds its private part after `Private-Lines:` (looked up once per text, not once per header). */
function puttyHasPrivate(text: string, _start: number, end: number, memo: Memo): boolean {
  memo.privateLines ??= text.lastIndexOf('Private-Lines:');
  return memo.privateLines >= end;
}

/** What a verify function learned about the text, kept for the next match in the same text. */
interface Memo { privateLines?: number }

export const FORMATS: readonly Format[] = [
  { what: 'PEM private key', hints: ['PRIVATE KEY'], regex: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g, verify: pemHasBody },
  { what: 'PuTTY private key', hints: ['PuTTY-User-Key-File-'], regex: /PuTTY-User-Key-File-[23]: /g, verify: puttyHasPrivate },
  { what: 'age secret key', hints: ['AGE-SECRET-KEY-1'], regex: /AGE-SECRET-KEY-1[0-9A-Z]{58}/g },
  // AKIA long-term, ASIA temporary, ABIA STS bearer; ACCA and the other unique-id prefixes
  // name an entity and authenticate nothing.
  { what: 'AWS access key ID', hints: ['AKIA', 'ASIA', 'ABIA'], regex: /\b(?:AKIA|ASIA|ABIA)[0-9A-Z]{16}\b/g },
  { what: 'GitHub token', hints: ['gh'], regex: /\bgh[pousr]_[A-Za-z0-9]{36}\b/g, checksum: githubChecksum },
  { what: 'GitHub token', hints: ['github_pat_'], regex: /\bgithub_pat_[A-Za-z0-9_]{40}/g },
  { what: 'GitLab token', hints: ['gl'], regex: /\bgl(?:pat|dt|rt|ft|ffct|soat|imt|agent|oas|cbt|ptt)-[A-Za-z0-9_-]{20}/g },
  { what: 'GitLab runner registration token', hints: ['GR1348941'], regex: /\bGR1348941[A-Za-z0-9_-]{20}/g },
  // Bot, user, app-level, configuration and legacy tokens all put digits right after the
  // prefix, which is what tells them from `xoxb-logo.png`.
  // Bot (two 10-13 digit ids), legacy bot, user (three ids), legacy workspace and legacy
  // tokens, configuration and app-level tokens: each shape as Slack issues it, so that
  // `xoxb-logo.png` or `xoxp-1234-1234-…` is not one.
  { what: 'Slack token', hints: ['xox', 'xapp-'], regex: /\b(?:xoxb-[0-9]{10,13}-[0-9]{10,13}|xoxb-[0-9]{8,14}-[A-Za-z0-9]{18}|xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9-]{28}|xox[ar]-(?:[0-9]-)?[A-Za-z0-9]{8}|xox[os]-[0-9]{1,20}-[0-9]{1,20}-[0-9]{1,20}-[a-fA-F0-9]{4}|xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{20}|xoxe-[0-9]-[A-Za-z0-9]{40}|xapp-[0-9]-[A-Z0-9]{8})/g },
  { what: 'Slack webhook URL', hints: ['hooks.slack.com/'], regex: /hooks\.slack\.com\/(?:services\/T[A-Za-z0-9_]{6,20}\/B[A-Za-z0-9_]{6,20}\/[A-Za-z0-9_]{16}|(?:workflows|triggers)\/T[A-Za-z0-9_]{6,20}\/[A-Za-z0-9_]{6,20}\/[0-9]{6,30}\/[A-Za-z0-9_]{16}|(?:services|workflows|triggers)\/[A-Za-z0-9+/]{43})/g },
  { what: 'Discord webhook URL', hints: ['/api/webhooks/'], regex: /discord(?:app)?\.com\/api\/webhooks\/[0-9]{6,20}\/[A-Za-z0-9_-]{40}/g },
  { what: 'Microsoft Teams webhook URL', hints: ['webhook.office.com', 'outlook.office.com'], regex: /(?:webhook|outlook)\.office\.com\/webhook(?:b2)?\/[A-Za-z0-9-]{8,40}@[A-Za-z0-9-]{8,40}\/IncomingWebhook\/[A-Za-z0-9]{32}\/[A-Za-z0-9-]{8}/g },
  { what: 'Telegram bot token', hints: [':AA'], regex: /\b[0-9]{8,10}:AA[A-Za-z0-9_-]{33}/g },
  { what: 'Typeform token', hints: ['tfp_'], regex: /\btfp_[A-Za-z0-9_.=-]{59}/g },
  { what: 'Defined Networking API key', hints: ['dnkey-'], regex: /\bdnkey-[A-Za-z0-9=_-]{26}-[A-Za-z0-9=_-]{52}/g },
  { what: 'Plaid access token', hints: ['access-'], regex: /\baccess-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g },
  { what: 'Stripe secret key', hints: ['_live_', '_test_', '_prod_'], regex: /\b(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{20}/g },
  { what: 'Square token', hints: ['EAAA', 'sq0'], regex: /\b(?:EAAA[A-Za-z0-9_-]{40}|sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43})/g },
  { what: 'Twilio API key', hints: ['SK'], regex: /\bSK[0-9a-fA-F]{32}\b/g },
  { what: 'Mailgun API key', hints: ['key-'], regex: /\bkey-[0-9a-f]{32}\b/g },
  { what: 'Mailchimp API key', hints: ['-us'], regex: /\b[0-9a-f]{32}-us[0-9]{1,2}\b/g },
  { what: 'npm token', hints: ['npm_'], regex: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { what: 'PyPI token', hints: ['pypi-'], regex: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50}/g },
  { what: 'RubyGems token', hints: ['rubygems_'], regex: /\brubygems_[a-f0-9]{48}\b/g },
  { what: 'Docker Hub token', hints: ['dckr_'], regex: /\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{27}/g },
  { what: 'SendGrid API key', hints: ['SG.'], regex: /\bSG\.[A-Za-z0-9=_.-]{66}/g },
  { what: 'Sendinblue API key', hints: ['xkeysib-'], regex: /\bxkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}/g },
  { what: 'Google API key', hints: ['AIza'], regex: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { what: 'Google OAuth token', hints: ['ya29.', 'GOCSPX-'], regex: /\b(?:ya29\.[0-9A-Za-z_-]{30}|GOCSPX-[0-9A-Za-z_-]{28})/g },
  // Legacy keys are sk-<20>T3BlbkFJ<20>; project, service-account and admin keys put 58 or 74
  // characters before the marker.
  { what: 'OpenAI API key', hints: ['T3BlbkFJ'], regex: /\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,100}|[A-Za-z0-9]{20})T3BlbkFJ/g },
  { what: 'Anthropic API key', hints: ['sk-ant-'], regex: /\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80}/g },
  { what: 'Hugging Face token', hints: ['hf_', 'api_org_'], regex: /\b(?:hf_|api_org_)[A-Za-z]{34}\b/g },
  { what: 'Groq API key', hints: ['gsk_'], regex: /\bgsk_[A-Za-z0-9]{52}\b/g },
  { what: 'Azure storage or Service Bus key', hints: ['AccountKey=', 'SharedAccessKey='], regex: /(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{40}/g },
  { what: 'Azure AD client secret', hints: ['Q~'], regex: /(?:^|[^A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31}/g },
  { what: 'Cloudflare origin CA key', hints: ['v1.0-'], regex: /\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}/g },
  { what: 'Alibaba Cloud access key ID', hints: ['LTAI'], regex: /\bLTAI[A-Za-z0-9]{20}\b/g },
  { what: 'DigitalOcean token', hints: ['_v1_'], regex: /\bdo[por]_v1_[a-f0-9]{64}\b/g },
  { what: 'Databricks token', hints: ['dapi'], regex: /\bdapi[a-f0-9]{32}\b/g },
  { what: 'Doppler token', hints: ['dp.'], regex: /\bdp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40}/g },
  { what: 'Grafana token', hints: ['glc_', 'glsa_', 'eyJrIjoi'], regex: /\b(?:glc_[A-Za-z0-9+/]{32}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9]{70})/g },
  { what: 'HashiCorp token', hints: ['.atlasv1.', 'hvs.', 'hvb.'], regex: /(?:\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60}|\bhvs\.[A-Za-z0-9_-]{90}|\bhvb\.[A-Za-z0-9_-]{138})/g },
  { what: 'Linear API key', hints: ['lin_api_'], regex: /\blin_api_[A-Za-z0-9]{40}\b/g },
  // User keys NRAK- and 27 characters, insert keys NRII- and 32, browser keys NRJS- and 19 hex.
  { what: 'New Relic key', hints: ['NRAK-', 'NRII-', 'NRJS-'], regex: /\bNR(?:AK-[A-Za-z0-9]{27}|II-[A-Za-z0-9_-]{32}|JS-[a-f0-9]{19})/g },
  { what: 'Postman API key', hints: ['PMAK-'], regex: /\bPMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}\b/g },
  { what: 'Prefect or Pulumi token', hints: ['pnu_', 'pul-'], regex: /\b(?:pnu_[A-Za-z0-9]{36}|pul-[a-f0-9]{40})\b/g },
  { what: 'Shopify token', hints: ['shp'], regex: /\bshp(?:ss|at|ca|pa)_[a-fA-F0-9]{32}\b/g },
  { what: 'Sentry token', hints: ['sntry'], regex: /\b(?:sntryu_[a-f0-9]{64}(?![a-f0-9])|sntrys_eyJpYXQiO[A-Za-z0-9+/]{10,400}={0,2}_[A-Za-z0-9+/]{43}(?![A-Za-z0-9+/]))/g },
  { what: 'PlanetScale token', hints: ['pscale_'], regex: /\bpscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32}/g },
  { what: '1Password service account token', hints: ['ops_eyJ'], regex: /\bops_eyJ[A-Za-z0-9+/]{100}/g },
  { what: 'Dynatrace token', hints: ['dt0c01.'], regex: /\bdt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}/g },
  { what: 'Facebook access token', hints: ['EAA'], regex: /\bEAA[MC][A-Za-z0-9]{100}/g },
  { what: 'Facebook app access token', hints: ['|', '%7C'], regex: /\b[0-9]{15,16}(?:\||%7C)[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])/g },
  { what: '1Password secret key', hints: ['A3-'], regex: /\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}\b/g },
  { what: 'Adobe client secret', hints: ['p8e-'], regex: /\bp8e-[A-Za-z0-9]{32}(?![A-Za-z0-9])/g },
  { what: 'Airtable token', hints: ['pat'], regex: /\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b/g },
  { what: 'Artifactory token', hints: ['AKCp', 'cmVmd'], regex: /\b(?:AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59})\b/g },
  { what: 'Authress key', hints: ['.acc'], regex: /\b(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.acc[_-][a-z0-9-]{10,32}\.[A-Za-z0-9+/_=-]{30}/g },
  { what: 'Amazon Bedrock API key', hints: ['ABSK', 'bedrock-api-key-'], regex: /\b(?:ABSK[A-Za-z0-9+/]{109}|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t)/g },
  { what: 'ClickHouse Cloud secret', hints: ['4b1d'], regex: /\b4b1d[A-Za-z0-9]{38}\b/g },
  { what: 'Clojars token', hints: ['CLOJARS_'], regex: /\bCLOJARS_[A-Za-z0-9]{60}\b/g },
  { what: 'Duffel token', hints: ['duffel_'], regex: /\bduffel_(?:test|live)_[A-Za-z0-9_=-]{43}/g },
  { what: 'EasyPost token', hints: ['EZAK', 'EZTK'], regex: /\bEZ[AT]K[A-Za-z0-9]{54}\b/g },
  { what: 'Flutterwave key', hints: ['FLW'], regex: /\bFLW(?:SECK|PUBK)_(?:TEST|LIVE)-[a-h0-9]{12}/g },
  { what: 'Fly.io token', hints: ['fo1_', 'fm1', 'fm2_'], regex: /\b(?:fo1_[A-Za-z0-9_-]{43}|fm1[ar]_[A-Za-z0-9+/]{100}|fm2_[A-Za-z0-9+/]{100})/g },
  { what: 'Frame.io token', hints: ['fio-u-'], regex: /\bfio-u-[A-Za-z0-9_=-]{64}/g },
  { what: 'GitLab session cookie', hints: ['_gitlab_session='], regex: /_gitlab_session=[0-9a-z]{32}/g },
  { what: 'Harness token', hints: ['pat.', 'sat.'], regex: /\b(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}/g },
  { what: 'Heroku token', hints: ['HRKU-'], regex: /\bHRKU-AA[A-Za-z0-9_-]{58}/g },
  { what: 'Infracost token', hints: ['ico-'], regex: /(?:^|[^A-Za-z0-9_./-])ico-[A-Za-z0-9]{32}\b/g },
  { what: '42 intra client secret', hints: ['s-s4t2'], regex: /\bs-s4t2(?:ud|af)-[a-f0-9]{64}\b/g },
  { what: 'MaxMind license key', hints: ['_mmk'], regex: /\b[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk\b/g },
  { what: 'Notion token', hints: ['ntn_'], regex: /\bntn_[0-9]{11}[A-Za-z0-9]{35}\b/g },
  { what: 'Octopus Deploy API key', hints: ['API-'], regex: /\bAPI-[A-Z0-9]{26}\b/g, verify: (t, s, e) => /[0-9]/.test(t.slice(s, e)) && !isFiller(t.slice(s, e)) },
  { what: 'OpenShift user token', hints: ['sha256~'], regex: /\bsha256~[A-Za-z0-9_-]{43}/g },
  { what: 'Perplexity API key', hints: ['pplx-'], regex: /\bpplx-[A-Za-z0-9]{48}/g },
  { what: 'ReadMe token', hints: ['rdme_'], regex: /\brdme_[a-z0-9]{70}\b/g },
  { what: 'Scalingo token', hints: ['tk-us-'], regex: /\btk-us-[A-Za-z0-9_-]{48}/g },
  { what: 'SettleMint token', hints: ['sm_'], regex: /\bsm_(?:aat|pat|sat)_[A-Za-z0-9]{16}\b/g },
  { what: 'Shippo token', hints: ['shippo_'], regex: /\bshippo_(?:live|test)_[a-fA-F0-9]{40}\b/g },
  { what: 'Sourcegraph token', hints: ['sgp_'], regex: /\bsgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}\b/g },
  // App-only bearer tokens open with 21 or 22 A's (zero bytes in base64), then the app id and the secret.
  { what: 'Twitter bearer token', hints: ['AAAAAAAAAAAAAAAAAAAAA'], regex: /\bA{21}[A-Za-z0-9%]{80}/g },
  // Legacy service tokens: s. and 24 random characters, which mix cases and digits.
  { what: 'Vault token', hints: ['s.'], regex: /(?:^|[^A-Za-z0-9_./-])s\.[A-Za-z0-9]{24}\b/g, verify: (t, s, e) => mixed(t.slice(s, e)) },
];

/** Scratch for isFiller's count of distinct characters (reset after each use). */
const SEEN = new Uint8Array(128);

/** `ghp_x…x`, `AKIA…EXAMPLE`, `sk_live_000…`, `ghp_1234567890abcdef…`: a format filled in by a human. */
export function isFiller(token: string): boolean {
  try {
    return fillerShape(token);
  } finally {
    SEEN.fill(0);
  }
}

/** Words that make a token documentation wherever they are in it. */
export const FILLER_WORDS = /EXAMPLE|example|Example|SAMPLE|sample|DUMMY|dummy|PLACEHOLDER|placeholder|REDACTED|redacted|your|YOUR|Your|HERE|[Hh]ere$|RANDOM|[Rr]andom/;

/**
 * isFiller's thresholds, read by the native policies (src/native/credentials.ts) too: a run of
 * `run` of one character (but A), of `placeholderRun` of `placeholderChars`, an ascending run of
 * `ascending`, `periodic` matches of a period of 2 to `maxPeriod`, fewer than `distinct`
 * distinct characters in a token of `distinctFrom` or more.
 */
export const FILLER = { run: 8, placeholderRun: 5, placeholderChars: 'xX0*.', ascending: 8, periodic: 12, maxPeriod: 4, distinct: 8, distinctFrom: 16 } as const;

const PLACEHOLDER_CHARS = new Set([...FILLER.placeholderChars].map((c) => c.charCodeAt(0)));

function fillerShape(token: string): boolean {
  if (FILLER_WORDS.test(token)) return true;
  let run = 1;
  let ascending = 1;
  // Runs of a short period: abcabc…, 123123…, 1212…
  const periodic = [0, 0, 0, 0, 0];
  let distinct = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 128 || SEEN[c] === 0) { if (c < 128) SEEN[c] = 1; distinct++; }
    if (i === 0) continue;
    const prev = token.charCodeAt(i - 1);
    run = c === prev ? run + 1 : 1;
    ascending = c === prev + 1 ? ascending + 1 : 1;
    // x, X, 0, * and . are what people type for "some characters here"; any character
    // repeated eight times is as unlikely in a random token.
    // A run of A is base64 for zero bytes, common in real keys and tokens.
    if ((run >= FILLER.run && c !== 65) || (run >= FILLER.placeholderRun && PLACEHOLDER_CHARS.has(c))) return true;
    if (ascending >= FILLER.ascending) return true;
    // A run of one character is a run, judged above (a run of A is no pattern).
    if (c === prev) continue;
    for (let p = 2; p <= FILLER.maxPeriod; p++) {
      periodic[p] = i >= p && c === token.charCodeAt(i - p) ? periodic[p]! + 1 : 0;
      if (periodic[p]! >= FILLER.periodic) return true;
    }
  }
  return token.length >= FILLER.distinctFrom && distinct < FILLER.distinct;
}

/** Up to 64 word characters after a match: `xoxe.xoxp-1-SlackAppConfiguration…TokenHere` ends in a hint. */
function wordAfter(text: string, end: number): string {
  let e = end;
  while (e < text.length && e - end < 64 && /[A-Za-z0-9_-]/.test(text[e]!)) e++;
  return text.slice(end, e);
}
const DOCUMENTATION_WORD = /EXAMPLE|[Ee]xample|PLACEHOLDER|[Pp]laceholder|HERE$|[Hh]ere$/;

/**
 * The hints of every format, looked up by their first two characters (a one-character hint by
 * its only one): one pass over a text tells which formats can match it, where asking each
 * format in turn costs ~120 scans per text, most of them of short values that hold none.
 */
const FIRST_CHAR = new Uint8Array(128);
const ONE_CHAR = new Uint8Array(128);
const SECOND_CHAR = new Uint8Array(128);
const BY_PAIR = new Map<number, string[]>();
for (const h of new Set(FORMATS.flatMap((f) => f.hints))) {
  const c0 = h.charCodeAt(0);
  if (c0 >= 128 || h.length === 0) throw new Error(`format hint ${JSON.stringify(h)} must start with an ASCII character`);
  FIRST_CHAR[c0] = 1;
  if (h.length === 1) { ONE_CHAR[c0] = 1; continue; }
  if (h.charCodeAt(1) >= 128) throw new Error(`format hint ${JSON.stringify(h)} must start with two ASCII characters`);
  SECOND_CHAR[h.charCodeAt(1)] = 1;
  const key = c0 * 65536 + h.charCodeAt(1);
  BY_PAIR.set(key, [...(BY_PAIR.get(key) ?? []), h]);
}

/** The format hints present in the text; undefined when none is (the common case). Linear: each position checks the few hints sharing its two characters. */
function hintsIn(text: string): Set<string> | undefined {
  let found: Set<string> | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || FIRST_CHAR[c] === 0) continue;
    if (ONE_CHAR[c] === 1) (found ??= new Set()).add(text[i]!);
    const c1 = text.charCodeAt(i + 1);
    if (!(c1 < 128 && SECOND_CHAR[c1] === 1)) continue;
    const candidates = BY_PAIR.get(c * 65536 + c1);
    if (candidates) for (const h of candidates) if (h.length === 2 || text.startsWith(h, i)) (found ??= new Set()).add(h);
  }
  return found;
}

/** The first token format found in the text, with its structure and not filler. */
export function findFormat(text: string): string | undefined {
  const present = hintsIn(text);
  if (!present) return undefined;
  const memo: Memo = {};
  for (const f of FORMATS) {
    if (!f.hints.some((h) => present.has(h))) continue;
    f.regex.lastIndex = 0;
    for (let m = f.regex.exec(text); m; m = f.regex.exec(text)) {
      const end = m.index + m[0].length;
      if (f.checksum?.(m[0])) return f.what;
      if (f.verify ? f.verify(text, m.index, end, memo) : !isFiller(m[0]) && !DOCUMENTATION_WORD.test(wordAfter(text, end))) return f.what;
    }
  }
  return undefined;
}

/** A JWT: base64url segments, the first two JSON objects ("eyJ" is base64 of '{"'); the signature may be empty (alg none). */
const JWT_TAIL = /\.eyJ[A-Za-z0-9_-]{8,}\./g;

export function hasJwt(text: string): boolean {
  if (!text.includes('.eyJ')) return false;
  JWT_TAIL.lastIndex = 0;
  for (let m = JWT_TAIL.exec(text); m; m = JWT_TAIL.exec(text)) {
    // The first segment is the run of base64url characters before the dot; the runs before
    // different dots are disjoint, so walking back stays linear.
    let s = m.index;
    while (s > 0 && /[A-Za-z0-9_-]/.test(text[s - 1]!)) s--;
    if (m.index - s >= 11 && text.startsWith('eyJ', s) && (s === 0 || !/\w/.test(text[s - 1]!))) return true;
    JWT_TAIL.lastIndex = m.index + m[0].length - 1; // the closing dot may open the next token's tail
  }
  return false;
}
