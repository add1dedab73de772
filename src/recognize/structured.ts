// Credentials written inside a structured value: the keys of JSON, YAML, properties and INI
// text, `key=value` lists (connection strings, query strings, `-Dkey=value`), userinfo
// without a scheme (`user:pw@tcp(host)/db`, `user:pw@host:6379`), and base64 wrappings of
// any of those. A key is judged like a variable name; its value like a variable's value.
// Every scan reads its text a bounded number of times (see scan.ts for why that matters).

import { isLiteralSecret, isSelfNamed, unquote } from './literals.ts';
import { isSensitiveKey, type NameSettings } from './names.ts';
import { someKeyValue, trimStartChars } from './scan.ts';

// `key=value` after a separator: start, whitespace, `?`, `&`, `;`, `,`, `{`, `(` or a `-D`.
// The key is bounded, so a failed attempt reads at most 64 characters.
// A `\n` or `\t` escape separates too: properties text inside a JSON string.
const PAIR_KEY = /(?:^|[\s?&;,{("']|\\[nt])(?:-D)?([A-Za-z_][\w.-]{0,63})=/g;
// A bare value stops at a comma: `x-scope-orgid=t1,api-key=…` (OpenTelemetry headers) and
// `username=svc,password=…` are lists of pairs, each judged.
const PAIR_VALUE = /'[^']*'|"[^"]*"|`[^`]*`|\$\([^)]*\)|[^;&,\s"'\\]+/y;
// XML: <add key="ClearTextPassword" value="…"/> (NuGet, .NET appSettings), <password>…</password>.
const XML_KEY_VALUE = /\bkey\s{0,8}=\s{0,8}"([A-Za-z_][\w.:-]{0,63})"\s{1,8}value\s{0,8}=\s{0,8}/g;
const XML_ELEMENT = /<([A-Za-z_][\w.:-]{0,63})>/g;
const XML_TEXT = /[^<]*/y;
// JSON and similar: "key": "value", 'key': value.
const JSON_KEY = /["']([A-Za-z_][\w.-]{0,63})["']\s{0,16}:\s{0,16}/g;
// Only strings and numbers: an unquoted value is code (`"password": userPass[2]`), not data.
// A number followed by a word character, `.`, `[` or `(` is code too; the last alternative
// takes that character so jsonPairs can refuse it, instead of a look-ahead, which recheck's
// exact checker cannot analyse (its fuzz fallback gave a verdict that varied with load).
const JSON_VALUE = /"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[0-9]+[\w.[(]?/y;
// Code: `if (api_key == "x")`, `char secret[25] = "x"`, `std::string secret("x")`,
// `secret.assign("x")`, and the comparison written the other way round, `"x" == password`.
// A plain `name = "x"` is a key=value pair, read above.
const CODE_KEY = /(?:^|[^\w.$-])([A-Za-z_][\w]{0,63})(?:\[[0-9]{0,8}\][ \t]{0,8}=|[ \t]{0,8}(?:[=!]==?|\(|\.assign\())[ \t]{0,8}(?=["'])/g;
const QUOTED = /"(?:[^"\\\n]|\\.)*"|'[^'\n]*'/y;
// The literal is found by looking back from its closing quote (at most 256 characters, never
// past a newline), so repeated quotes cost a bounded amount each.
const CODE_REVERSED = /(["'])[ \t]{0,8}[=!]==?[ \t]{0,8}([A-Za-z_][\w]{0,63})/g;
// YAML flow mappings: `{db: {host: db, password: x}}`; a plain value runs to `,`, `}` or `]`.
// Keys are plain (a quoted key is JSON's, read by JSON_KEY), and a plain value holding `(`,
// `[` or `.` followed by a name is code (`{password: userPass[2]}`), refused in flowPairs.
const FLOW_KEY = /[{,][ \t]{0,16}([A-Za-z_][\w.-]{0,63})[ \t]{0,16}:[ \t]{1,16}/g;
const FLOW_VALUE = /"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^,{}\n]+/y;
const FLOW_CODE = /[([]/;
// One line of YAML, INI or properties: `key: value`, `key = value`, `- key: value`.
const LINE_PAIR = /^[ \t-]{0,64}["']?([A-Za-z_][\w.-]{0,63})["']?[ \t]{0,16}[:=][ \t]*/;
// user:password@host without a scheme (a scheme's URL is read by urlSpans). The host must
// follow: tcp(…)/unix(…) as Go's MySQL driver writes it, or a name with an optional port.
const USERINFO = /(?:^|[\s'"=,;])([A-Za-z0-9_.-]{1,64}):([^\s@/'":]{1,256})@(?:tcp\(|unix\(|\[|[A-Za-z0-9][A-Za-z0-9.-]{0,252}(?::[0-9]{1,5})?(?=[/\s'"?,;]|$))/g;
// A whole one-line value `key: value` (YAML, properties), the colon followed by a blank.
const ONE_LINE_PAIR = /^[ \t]{0,16}["']?[A-Za-z_][\w.-]{0,63}["']?:[ \t]/;
const NOT_USERINFO = new Set(['mailto', 'sip', 'sips', 'tel', 'xmpp', 'urn']);

const credentialPair = (key: string, value: string, s: NameSettings): boolean =>
  isSensitiveKey(key, s) && isLiteralSecret(value) && !isSelfNamed(key, value);

/** Pairs whose key is sensitive and whose value a literal (quoted values stop at a newline). */
const pairs = (text: string, key: RegExp, value: RegExp, s: NameSettings): boolean =>
  someKeyValue(text, key, value, (m, v) => credentialPair(m[1]!, v, s), true);

/** Pairs whose value is a JSON string or number (JSON_VALUE), not code that starts with digits. */
const jsonPairs = (text: string, key: RegExp, s: NameSettings): boolean =>
  someKeyValue(text, key, JSON_VALUE, (m, v) => !isCodeAfterDigits(v) && credentialPair(m[1]!, v, s), true);

const isCodeAfterDigits = (v: string): boolean => {
  const first = v.charCodeAt(0);
  const last = v.charCodeAt(v.length - 1);
  return first >= 48 && first <= 57 && !(last >= 48 && last <= 57);
};

/** A whole value written as a YAML flow mapping: its pairs, plain values that read as code refused. */
function flowPairs(text: string, s: NameSettings): boolean {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return false;
  return someKeyValue(t, FLOW_KEY, FLOW_VALUE, (m, v) => (v[0] === '"' || v[0] === "'" || !FLOW_CODE.test(v)) && credentialPair(m[1]!, unquote(v.trim()), s), true);
}

/** Each line read as `key: value` or `key = value` (YAML, INI, properties, dotenv). */
function linePairs(text: string, s: NameSettings): boolean {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    const m = LINE_PAIR.exec(line);
    if (m) {
      // `=>` (PHP, Perl, Ruby hashes) assigns like `=`.
      let v = trimStartChars(line.slice(m[0].length), '>').trim();
      const comment = v.indexOf(' #');
      if (comment >= 0) v = v.slice(0, comment).trim();
      // `key: |` opens a block; its lines follow and are read as lines of their own.
      if (v !== '|' && v !== '>' && v !== '' && credentialPair(m[1]!, unquote(v), s)) return true;
    }
    start = end + 1;
  }
  return false;
}

/** `"x" == password`: the literal before the name. */
function reversedComparison(text: string, s: NameSettings): boolean {
  CODE_REVERSED.lastIndex = 0;
  for (let m = CODE_REVERSED.exec(text); m; m = CODE_REVERSED.exec(text)) {
    const quote = m[1]!;
    let open = m.index - 1;
    while (open >= 0 && m.index - open <= 256 && text[open] !== quote && text[open] !== '\n') open--;
    if (open >= 0 && text[open] === quote && credentialPair(m[2]!, text.slice(open + 1, m.index), s)) return true;
  }
  return false;
}

/** `user:pw@tcp(db:3306)/shop`, `default:pw@redis:6379`: a password without a URL scheme. */
function schemelessUserinfo(text: string): boolean {
  if (!text.includes('@')) return false;
  USERINFO.lastIndex = 0;
  for (let m = USERINFO.exec(text); m; m = USERINFO.exec(text)) {
    if (!NOT_USERINFO.has(m[1]!.toLowerCase()) && isLiteralSecret(m[2]!)) return true;
  }
  return false;
}

/** A credential in the structure of the text: its key=value pairs, JSON/YAML keys, or userinfo. */
export function inStructure(text: string, s: NameSettings): string | undefined {
  const found = inStructureAsWritten(text, s);
  if (found || !text.includes('\\u')) return found;
  // JSON may spell a key with escapes (`"pass\u0077ord"`): its parser reads the letters.
  return inStructureAsWritten(jsonUnescaped(text), s);
}

const UNICODE_ESCAPE = /\\u([0-9A-Fa-f]{4})/g;
const jsonUnescaped = (text: string): string => text.replace(UNICODE_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

function inStructureAsWritten(text: string, s: NameSettings): string | undefined {
  if (text.includes('=') && pairs(text, PAIR_KEY, PAIR_VALUE, s)) return 'credential in a key=value pair';
  if (text.includes('"') || text.includes("'")) {
    if (pairs(text, CODE_KEY, QUOTED, s)) return 'credential in a structured value';
    if (text.includes('=') && reversedComparison(text, s)) return 'credential in a structured value';
  }
  if (text.includes('<')) {
    if (text.includes('value') && jsonPairs(text, XML_KEY_VALUE, s)) return 'credential in a structured value';
    if (pairs(text, XML_ELEMENT, XML_TEXT, s)) return 'credential in a structured value';
  }
  if (text.includes(':')) {
    if ((text.includes('"') || text.includes("'")) && jsonPairs(text, JSON_KEY, s)) return 'credential in a structured value';
    if (text.includes('{') && flowPairs(text, s)) return 'credential in a structured value';
    // One line is a file of one line: `spring.datasource.password: x` as a whole value.
    if ((text.includes('\n') || ONE_LINE_PAIR.test(text)) && linePairs(text, s)) return 'credential in a structured value';
    if (schemelessUserinfo(text)) return 'password in a connection string';
  } else if (text.includes('\n') && text.includes('=') && linePairs(text, s)) {
    return 'credential in a structured value';
  }
  return undefined;
}

/**
 * The texts that base64 runs of the text decode to, when they decode to printable text: a
 * wrapped connection URL or config is judged as if written plainly. Binary (keys,
 * certificates, random secrets) is left to the other rules. Decoded text is at most 3/4 of
 * the text, and is not decoded again.
 */
export function* base64Texts(text: string): Generator<string> {
  // Maximal runs found by hand: /[A-Za-z0-9+/]{24,}={0,2}/g re-reads up to 23 characters from
  // every position of a shorter run, a tenth of the judge's time on a long script.
  for (let i = 0; i < text.length; i++) {
    if (!isBase64Char(text.charCodeAt(i))) continue;
    let end = i + 1;
    while (end < text.length && isBase64Char(text.charCodeAt(end))) end++;
    if (end - i >= MIN_BASE64_RUN) {
      const run = text.slice(i, end);
      const pad = text.startsWith('==', end) ? 2 : text[end] === '=' ? 1 : 0;
      const decoded = printable(run + '='.repeat(pad));
      if (decoded !== undefined) yield decoded;
    }
    i = end;
  }
}

const MIN_BASE64_RUN = 24;
const isBase64Char = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;

function printable(run: string): string | undefined {
  if (run.length % 4 === 1) return undefined;
  const bytes = Buffer.from(run, 'base64');
  for (const b of bytes) if (!((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13)) return undefined;
  return bytes.length > 0 ? bytes.toString('latin1') : undefined;
}
