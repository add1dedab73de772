// Passwords written into SQL and mongosh statements, found by grammar: the statement's keywords
// say a password follows, as a position does for a flag. Used on text handed to a database
// client (`psql -c`, `mysql -e`, `mongosh --eval`, a here-document into a client) and on any
// text where the statement is unambiguous (`CREATE USER … PASSWORD '…'` is nothing else).
//
// Forms (from the PostgreSQL, MySQL/MariaDB, SQL Server, Oracle, Cassandra and MongoDB manuals):
// - `CREATE|ALTER USER|ROLE|LOGIN name … [ENCRYPTED] PASSWORD [=] 'x'` (also `OLD_PASSWORD = 'x'`);
// - `IDENTIFIED BY 'x'`, `IDENTIFIED WITH plugin BY 'x'`, Oracle's bare `IDENTIFIED BY x`,
//   MySQL 5's `GRANT … IDENTIFIED BY 'x'` (`IDENTIFIED BY PASSWORD '*hash'` and `AS 'hash'` are hashes);
// - `SET PASSWORD [FOR u] = 'x'` and `= PASSWORD('x')`;
// - mongosh `createUser({… pwd: 'x'})`, `updateUser('u', {pwd: 'x'})`, `auth('u', 'x')`,
//   `auth({user: 'u', pwd: 'x'})`, `changeUserPassword('u', 'x')`.
// Not literals: `PASSWORD NULL`, psql's `:'var'`, `$1`, an unexpanded `'${PW}'`, `passwordPrompt()`.
//
// Linear: one pass over the text; a call's arguments are read at most CALL_SPAN characters,
// and the reading goes on after them.

import { OPAQUE } from '../objects/expand.ts';
import { isLiteralSecret } from './literals.ts';

/** A password's place in the text, and whether it is a literal (not a variable or a placeholder). */
export interface SqlPassword {
  start: number;
  end: number;
  value: string;
  literal: boolean;
  what: 'password in a SQL statement' | 'password in a mongosh call';
}

/** Statements a SQL text may hold before the answer stops growing: bounded output for any input. */
const MAX_FOUND = 64;
/** A statement's keywords are looked for this far after CREATE/ALTER/GRANT/SET when no `;` comes. */
const STATEMENT_SPAN = 4096;
/** How far a mongosh call's arguments are read. */
const CALL_SPAN = 4096;
/** A quoted password longer than this is no password (and an unclosed quote reads no further). */
const MAX_STRING = 1024;

const isIdentStart = (c: number): boolean => c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isIdentChar = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36 /* $ */ || c === 35 /* # */;
const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Statements that name a user or role and may set its password. */
const USER_VERBS = new Set(['create', 'alter', 'grant']);
const USER_OBJECTS = new Set(['user', 'role', 'login']);
const MONGO_CALLS = new Set(['createuser', 'updateuser', 'auth', 'changeuserpassword']);

/**
 * A value whose text is only known at run time: a shell variable left unexpanded in a
 * double-quoted script (`'${PW}'`, `'$PW'`), a substitution (OPAQUE), a template (`{{ pw }}`).
 */
function runTime(value: string): boolean {
  if (value.includes(OPAQUE)) return true;
  for (let i = value.indexOf('$'); i >= 0; i = value.indexOf('$', i + 1)) {
    const next = value.charCodeAt(i + 1);
    if (next === 123 /* { */ || next === 40 /* ( */ || isIdentStart(next)) return true;
  }
  return value.includes('{{');
}

/** A quoted string starting at `at` ('…', "…", `…`; N'…' and E'…' prefixes): its content's span, or undefined. */
function quotedAt(text: string, at: number): { start: number; end: number; next: number } | undefined {
  let i = at;
  if ((text[i] === 'N' || text[i] === 'E' || text[i] === 'n' || text[i] === 'e') && text[i + 1] === "'") i++;
  const q = text[i];
  if (q !== "'" && q !== '"' && q !== '`') return undefined;
  const start = i + 1;
  for (let j = start; j < text.length && j - start <= MAX_STRING; j++) {
    const c = text[j];
    if (c === '\\') { j++; continue; }
    if (c === '\n') return undefined;
    if (c === q) {
      if (q === "'" && text[j + 1] === "'") { j++; continue; } // '' is a quote inside
      return { start, end: j, next: j + 1 };
    }
  }
  return undefined;
}

function skipBlanks(text: string, i: number): number {
  let j = i;
  while (j < text.length && j - i < 256 && isBlank(text[j])) j++;
  return j;
}

/** An identifier at `at` (lower-cased) and where it ends, or undefined. */
function identAt(text: string, at: number): { word: string; end: number } | undefined {
  if (!isIdentStart(text.charCodeAt(at))) return undefined;
  let j = at + 1;
  while (j < text.length && j - at < 64 && isIdentChar(text.charCodeAt(j))) j++;
  return { word: text.slice(at, j).toLowerCase(), end: j };
}

/**
 * Every password position of SQL and mongosh statements in `text`, literal or not (the no-echo
 * guarantee needs them all; the credential rule takes the literal ones).
 */
export function sqlPasswords(text: string): SqlPassword[] {
  const found: SqlPassword[] = [];
  if (!mayHoldStatement(text)) return found;
  const add = (start: number, end: number, what: SqlPassword['what']): void => {
    if (found.length >= MAX_FOUND) return;
    const value = text.slice(start, end);
    found.push({ start, end, value, literal: !runTime(value) && isLiteralSecret(value), what });
  };
  /** A quoted value at `at` (after blanks and an optional `=`): recorded; returns where reading goes on. */
  const valueAt = (at: number, bare: boolean): number => {
    let i = skipBlanks(text, at);
    if (text[i] === '=') i = skipBlanks(text, i + 1);
    const q = quotedAt(text, i);
    if (q) { add(q.start, q.end, 'password in a SQL statement'); return q.next; }
    const id = identAt(text, i);
    if (!id) return i;
    // SET PASSWORD = PASSWORD('x'): the function's argument.
    if ((id.word === 'password' || id.word === 'old_password') && text[skipBlanks(text, id.end)] === '(') {
      const inner = quotedAt(text, skipBlanks(text, skipBlanks(text, id.end) + 1));
      if (inner) { add(inner.start, inner.end, 'password in a SQL statement'); return inner.next; }
    }
    // Oracle: IDENTIFIED BY word (a bare identifier is the password; `IDENTIFIED BY PASSWORD` is a hash).
    if (bare && id.word !== 'password' && id.word !== 'values') add(i, id.end, 'password in a SQL statement');
    return id.end;
  };
  let verb: string | undefined;
  let statementEnd = -1;
  let setting = false;
  for (let i = 0; i < text.length && found.length < MAX_FOUND; i++) {
    const c = text.charCodeAt(i);
    if (c === 59 /* ; */) { statementEnd = -1; verb = undefined; setting = false; continue; }
    if (!isIdentStart(c) || (i > 0 && isIdentChar(text.charCodeAt(i - 1)))) continue;
    const id = identAt(text, i)!;
    const before = text[i - 1];
    const w = id.word;
    i = id.end - 1;
    // `--password` and `a.password` are a flag and a property, not a keyword.
    if (before === '-') { verb = undefined; continue; }
    if (before === '.' && MONGO_CALLS.has(w)) { i = mongoCall(text, id.end, w, add) - 1; continue; }
    if (before === '.') continue;
    const inStatement = statementEnd > i;
    if (USER_VERBS.has(w)) { verb = w; continue; }
    if (verb !== undefined && USER_OBJECTS.has(w)) { statementEnd = i + STATEMENT_SPAN; verb = undefined; continue; }
    if (verb === 'grant' && w === 'identified') statementEnd = i + STATEMENT_SPAN;
    verb = verb === 'grant' ? verb : undefined;
    if (w === 'set') { setting = true; continue; }
    if (setting && w === 'password') {
      // SET PASSWORD [FOR user] = 'x': the value follows the `=`.
      setting = false;
      const eq = text.indexOf('=', id.end);
      if (eq > 0 && eq - id.end <= 256 && !text.slice(id.end, eq).includes(';')) i = valueAt(eq + 1, false) - 1;
      continue;
    }
    setting = false;
    if (!inStatement && statementEnd <= i) continue;
    if (w === 'password' || w === 'old_password') { i = valueAt(id.end, false) - 1; continue; }
    if (w === 'identified') {
      let j = skipBlanks(text, id.end);
      let next = identAt(text, j);
      if (next?.word === 'with') {
        // IDENTIFIED WITH plugin [BY 'x' | AS 'hash']: the plugin is a name or a quoted name.
        j = skipBlanks(text, next.end);
        const plugin = quotedAt(text, j);
        j = skipBlanks(text, plugin ? plugin.next : (identAt(text, j)?.end ?? j));
        next = identAt(text, j);
      }
      if (next?.word === 'by') i = valueAt(next.end, true) - 1;
      else i = (next?.end ?? j) - 1;
    }
  }
  return found;
}

/**
 * A mongosh call after its name: `(` then either an object whose `pwd` key holds the password,
 * or positional strings, the second being the password (`auth('u', 'x')`). Returns where
 * reading goes on.
 */
function mongoCall(text: string, at: number, name: string, add: (start: number, end: number, what: SqlPassword['what']) => void): number {
  const open = skipBlanks(text, at);
  if (text[open] !== '(') return at;
  const stop = Math.min(text.length, open + CALL_SPAN);
  if (name === 'auth' || name === 'changeuserpassword') {
    const first = quotedAt(text, skipBlanks(text, open + 1));
    if (first) {
      const comma = skipBlanks(text, first.next);
      if (text[comma] === ',') {
        const second = quotedAt(text, skipBlanks(text, comma + 1));
        if (second) { add(second.start, second.end, 'password in a mongosh call'); return second.next; }
        return comma + 1;
      }
    }
  }
  // { pwd: 'x' } or { "pwd": "x" } anywhere in the arguments, up to the call's `)`.
  let depth = 0;
  for (let i = open; i < stop; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      const q = quotedAt(text, i);
      if (!q) continue;
      if (text.slice(q.start, q.end) === 'pwd' && keyValue(text, q.next, add)) return i + 1;
      i = q.next - 1;
      continue;
    }
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') { if (--depth <= 0 && c === ')') return i + 1; }
    else if (c === 'p' && text.startsWith('pwd', i) && !isIdentChar(text.charCodeAt(i - 1)) && !isIdentChar(text.charCodeAt(i + 3))) {
      keyValue(text, i + 3, add);
      i += 2;
    }
  }
  return stop;
}

/** `: 'x'` after a `pwd` key: the value recorded when it is a string. */
function keyValue(text: string, at: number, add: (start: number, end: number, what: SqlPassword['what']) => void): boolean {
  const colon = skipBlanks(text, at);
  if (text[colon] !== ':') return false;
  const q = quotedAt(text, skipBlanks(text, colon + 1));
  if (q) add(q.start, q.end, 'password in a mongosh call');
  return q !== undefined;
}

/** Cheap first look: a statement needs one of these words (checked case-insensitively on a lower-cased copy only when short). */
const STATEMENT_HINT = /password|identified|pwd|\.auth\s*\(/i;
function mayHoldStatement(text: string): boolean {
  return STATEMENT_HINT.test(text);
}

/** The first literal password of a statement in `text`, as a finding's description. */
export function sqlCredential(text: string): string | undefined {
  return sqlPasswords(text).find((p) => p.literal)?.what;
}
