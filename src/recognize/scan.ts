// Linear-time text scanning shared by the rules. extguard judges with failurePolicy: Fail on
// one event loop, and any user who may create a Pod chooses the text, so every helper here
// reads its input a bounded number of times: no regular expression with a quantifier that can
// backtrack over a run it has already read (the classic `[.:]+$` on "....x" is quadratic).
// Regular expressions used elsewhere in src/ are checked by test/unit/redos.test.ts.

import { asciiClass, inClass } from '../objects/chars.ts';

/** A `scheme://authority` found in a text. Offsets index into the scanned text. */
export interface UrlSpan {
  /** Where the scheme starts. */
  start: number;
  /** Just past the host (and port, when there is one): what the host rule consumes. */
  end: number;
  /** Host as written: a name, an IPv4 literal, or a bracketed IPv6 literal; may be "". */
  host: string;
  port?: number;
  /** userinfo before the last "@" of the authority, split at its first ":" (WHATWG). */
  user?: string;
  password?: string;
}


const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SCHEME_CHARS = asciiClass(`${LETTERS}0123456789+-.`);
const WORD_CHARS = asciiClass(`${LETTERS}0123456789_`);
const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Characters that end an authority: whitespace, quotes, and the WHATWG path/query/fragment starts (\ too). */
const AUTHORITY_END = asciiClass(' \t\n\r\f\v\'"/?#\\');
/** Characters that end a host name inside an authority (lists, parentheses, templating). */
const HOST_END = asciiClass(':,;()<>[]{}');
const MAX_SCHEME = 31;

/**
 * Every `scheme://authority` in the text, left to right, non-overlapping. Each "://" costs
 * at most MAX_SCHEME steps back plus its authority, and an authority ends at the next "/",
 * so authorities never overlap: the whole scan is linear.
 */
export function urlSpans(text: string): UrlSpan[] {
  const out: UrlSpan[] = [];
  let lastEnd = 0;
  for (let sep = text.indexOf('://'); sep >= 0; sep = text.indexOf('://', sep + 1)) {
    // The scheme: the leftmost start within MAX_SCHEME chars that begins a word with a letter.
    let s = sep;
    while (s > 0 && sep - s < MAX_SCHEME && inClass(SCHEME_CHARS, text.charCodeAt(s - 1))) s--;
    let start = -1;
    for (let i = s; i < sep; i++) {
      if (isLetter(text.charCodeAt(i)) && (i === 0 || !inClass(WORD_CHARS, text.charCodeAt(i - 1)))) { start = i; break; }
    }
    if (start < lastEnd || start < 0) continue;

    const a = sep + 3;
    let authEnd = a;
    let lastAt = -1;
    for (let c = text.charCodeAt(authEnd); authEnd < text.length && !inClass(AUTHORITY_END, c); c = text.charCodeAt(++authEnd)) {
      if (c === 64 /* @ */) lastAt = authEnd;
    }
    const span: UrlSpan = { start, end: a, host: '' };
    let h = a;
    if (lastAt >= 0) {
      const colon = text.indexOf(':', a);
      if (colon >= 0 && colon < lastAt) {
        span.user = text.slice(a, colon);
        span.password = text.slice(colon + 1, lastAt);
      } else {
        span.user = text.slice(a, lastAt);
      }
      h = lastAt + 1;
    }
    let hostEnd = h;
    if (text.charCodeAt(h) === 91 /* [ */) {
      const close = text.indexOf(']', h);
      hostEnd = close >= 0 && close < authEnd ? close + 1 : h;
    } else {
      while (hostEnd < authEnd && !inClass(HOST_END, text.charCodeAt(hostEnd))) hostEnd++;
    }
    span.host = text.slice(h, hostEnd);
    span.end = hostEnd;
    if (text.charCodeAt(hostEnd) === 58 /* : */) {
      let p = hostEnd + 1;
      while (p < authEnd && p - hostEnd <= 5 && isDigit(text.charCodeAt(p))) p++;
      if (p > hostEnd + 1 && !isDigit(text.charCodeAt(p))) {
        span.port = Number(text.slice(hostEnd + 1, p));
        span.end = p;
      }
    }
    out.push(span);
    lastEnd = span.end;
  }
  return out;
}

/**
 * Runs `key` (a global regex) over the text and, after each match, reads a value with `value`
 * (a sticky regex); true at the first pair `accept` takes. The next search resumes after the
 * value read, so no character is read by two attempts. With `unclosedQuoteEndsLine`, a value
 * that opens a quote and fails ends the line's search: such values stop at a newline, so
 * nothing quoted follows on that line, and retrying from every key inside it would read the
 * rest of the line once per key.
 */
export function someKeyValue(text: string, key: RegExp, value: RegExp, accept: (key: RegExpExecArray, value: string) => boolean, unclosedQuoteEndsLine = false): boolean {
  key.lastIndex = 0;
  for (let m = key.exec(text); m; m = key.exec(text)) {
    const at = key.lastIndex;
    value.lastIndex = at;
    const v = value.exec(text);
    if (v && accept(m, v[0])) return true;
    if (v) key.lastIndex = Math.max(at, value.lastIndex);
    else if (unclosedQuoteEndsLine && (text[at] === '"' || text[at] === "'")) {
      const nl = text.indexOf('\n', at);
      key.lastIndex = nl < 0 ? text.length : nl;
    }
  }
  return false;
}

/** Removes trailing characters found in `chars` (a loop, not `/[.:]+$/`, which is quadratic). */
export function trimEndChars(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1]!)) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** Removes leading characters found in `chars`. */
export function trimStartChars(text: string, chars: string): string {
  let start = 0;
  while (start < text.length && chars.includes(text[start]!)) start++;
  return start === 0 ? text : text.slice(start);
}

/**
 * Splits an identifier into lower-case words: DB_PASSWORD, dbPassword, db-password,
 * db.password and HTTPServerKey all split the way a reader would. One pass, no regex
 * (`([A-Z]+)([A-Z][a-z])` backtracks over every run of capitals).
 */
export function identifierWords(name: string): string[] {
  const words: string[] = [];
  let start = -1; // start of the current word, -1 between words
  const flush = (end: number): void => {
    if (start >= 0 && end > start) words.push(name.slice(start, end).toLowerCase());
    start = -1;
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    if (!upper && !(c >= 97 && c <= 122) && !isDigit(c)) { flush(i); continue; }
    if (start < 0) { start = i; continue; }
    if (upper) {
      const prev = name.charCodeAt(i - 1);
      const next = name.charCodeAt(i + 1);
      // dbPassword / db2Password: a capital after a lower-case letter or digit starts a word;
      // HTTPServer: the last capital of a run starts a word when a lower-case letter follows.
      if (!(prev >= 65 && prev <= 90) || (next >= 97 && next <= 122)) { flush(i); start = i; }
    }
  }
  flush(name.length);
  return words;
}

/**
 * A name's words with digits split from letters: `DB_PASSWORD2`, `PASSWORD1`, `dbPassword1`,
 * `API_URL2` read as `db password`, `password`, `db password`, `api url` (a digit suffix must
 * not change what a name says). Numbers alone are not words.
 */
export function nameWords(name: string): string[] {
  const out: string[] = [];
  for (const w of identifierWords(name)) {
    let end = w.length;
    while (end > 0 && w.charCodeAt(end - 1) >= 48 && w.charCodeAt(end - 1) <= 57) end--;
    if (end > 0) out.push(end === w.length ? w : w.slice(0, end));
  }
  return out;
}
