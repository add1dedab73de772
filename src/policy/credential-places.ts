// Where, inside one holder's texts, a credential could sit, decided by position alone: the
// whole value under a credential's name (env, header, volume option), and inside any other
// value the part under a sensitive key (`password=`, `"client_secret":`, `?access_token=`) and
// a URL's userinfo. Whether the credential rule judged the value a literal does not matter
// here: `DB_PASSWORD=example.io` may be a placeholder to that rule, and it is still a password
// to whoever reads the output. The host rule never shows a host written in such a place (see
// `shownHost` in hosts.ts), wherever else the same word also appears: a variable that flows
// into a password through $(VAR) is expanded into it, so its host is a word of the password.
//
// Words, not offsets: a candidate host is hidden when its text is one of the words (or a
// dotted tail of one) of a credential place. Linear: each place is split once, each candidate
// is one set lookup.

import type { Command, CommandReader } from '../objects/commands.ts';
import { credentialPositions } from '../recognize/command-credentials.ts';
import { forEachPair } from '../recognize/hosts.ts';
import { isSensitiveKey, nameFacts, type NameSettings } from '../recognize/names.ts';
import { urlHosts } from '../recognize/url.ts';
import type { ScannedText } from '../objects/texts.ts';

/** Headers whose whole value is a credential whatever follows the scheme. */
const AUTH_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** The whole value is a credential place: its name says it holds one. */
export function wholeValueIsCredential(t: ScannedText, names: NameSettings): boolean {
  // A value handed over by the downward API is named where it lands (the variable) and where
  // it is written (the annotation's key, the file's path): any of them may say credential.
  if (t.writtenAs?.some((name) => nameFacts(name, names).sensitive)) return true;
  if (t.envName === undefined) return false;
  if (t.field === 'header' && AUTH_HEADERS.has(t.envName.trim().toLowerCase())) return true;
  return (t.field === 'env' || t.field === 'header' || t.field === 'option') && nameFacts(t.envName, names).sensitive;
}

/** Dotted tails kept per word: `x.summer.io` also hides `summer.io` (a host under a run-time prefix). */
const MAX_TAILS = 8;

/** Words that may be read as a host: names and IPv4 (letters, digits, `.`, `-`, `_`, `%`), and IPv6 (hex, `:`, `.`). */
const NAME_CHAR = /[A-Za-z0-9._%-]/;
const V6_CHAR = /[0-9A-Fa-f:.%]/;

/** The credential words of a holder's texts, for `isCredentialWord`. */
export class CredentialWords {
  private readonly words = new Set<string>();

  constructor(texts: readonly ScannedText[], names: NameSettings) {
    for (const t of texts) {
      if (wholeValueIsCredential(t, names)) { this.addPlace(t.value); continue; }
      this.addParts(t.value, names);
    }
  }

  get size(): number { return this.words.size; }

  /**
   * The command lines' credential places, read in the judge's one walk of them: a flag whose
   * name says credential (`--password X`, `--db-password=X`), the password flags of tools
   * whose flag names do not say so (keytool `-storepass`, openssl `-passout pass:X`,
   * redis-cli `-a`, sshpass `-p`, mysql `-pX`), a sensitive assignment (`PGPASSWORD=X psql`),
   * and the word after `password` in any argument (a `.netrc` line, SQL `WITH PASSWORD 'X'`).
   * The credential rule decides what is a literal; this only keeps such words from output.
   */
  reader(names: NameSettings): CommandReader<ScannedText> {
    return (cmd) => this.addCommand(cmd, names);
  }

  private addCommand(cmd: Command, names: NameSettings): void {
    // The credential rule's own table of programs and forms, so the two cannot drift; every
    // position counts here, literal or not.
    credentialPositions(cmd, names, (p) => this.addPlace(p.value));
    for (const a of cmd.args) this.afterPasswordWord(a.text);
    for (const r of cmd.redirects) this.afterPasswordWord(r.text);
  }

  /** `password X`, `PASSWORD 'X'`, `passwd X`: the word after, as a `.netrc` line or SQL writes it. */
  private afterPasswordWord(text: string): void {
    const lower = text.toLowerCase();
    for (let at = lower.indexOf('passw'); at >= 0; at = lower.indexOf('passw', at + 5)) {
      let i = at + 5;
      while (i < lower.length && i - at < 16 && /[a-z]/.test(lower[i]!)) i++;
      let j = i;
      while (j < text.length && j - i < 16 && (text[j] === ' ' || text[j] === '\t' || text[j] === "'" || text[j] === '"' || text[j] === '=')) j++;
      if (j === i) continue;
      let end = j;
      while (end < text.length && !/[\s'"]/.test(text[end]!)) end++;
      if (end > j) this.addPlace(text.slice(j, end));
    }
  }

  /** The host as written by a candidate (`raw`) is a word of a credential place. */
  has(raw: string): boolean {
    if (this.words.size === 0) return false;
    return this.words.has(normalizeWord(raw));
  }

  private addParts(value: string, names: NameSettings): void {
    forEachPair(value, (key, _keyStart, start, end) => {
      if (isSensitiveKey(key, names)) this.addPlace(value.slice(start, end));
    });
    for (const u of urlHosts(value)) {
      if (!u.hasUserinfo) continue;
      const authority = value.slice(u.start, u.end);
      this.addPlace(authority.slice(0, authority.lastIndexOf('@')));
    }
  }

  private addPlace(text: string): void {
    this.addRuns(text, NAME_CHAR);
    if (text.includes(':')) this.addRuns(text, V6_CHAR);
  }

  private addRuns(text: string, char: RegExp): void {
    let start = -1;
    for (let i = 0; i <= text.length; i++) {
      const inWord = i < text.length && char.test(text[i]!);
      if (inWord && start < 0) start = i;
      if (!inWord && start >= 0) { this.addWord(text.slice(start, i)); start = -1; }
    }
  }

  private addWord(word: string): void {
    const w = normalizeWord(word);
    if (w === '') return;
    this.words.add(w);
    let dot = w.indexOf('.');
    for (let n = 0; dot >= 0 && n < MAX_TAILS; n++) {
      const tail = w.slice(dot + 1);
      if (tail.includes('.')) this.words.add(tail);
      dot = w.indexOf('.', dot + 1);
    }
  }
}

/** Lower case, no brackets, no leading or trailing dots or dashes: how a host and a word compare. */
function normalizeWord(word: string): string {
  let w = word.toLowerCase();
  if (w.startsWith('[') && w.endsWith(']')) w = w.slice(1, -1);
  let a = 0;
  let b = w.length;
  while (a < b && (w[a] === '.' || w[a] === '-' || w[a] === ':')) a++;
  while (b > a && (w[b - 1] === '.' || w[b - 1] === '-' || w[b - 1] === ':')) b--;
  return w.slice(a, b);
}
