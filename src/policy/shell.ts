// A small shell word splitter for `sh -c` scripts: enough to see flags and values the way the
// shell would pass them (quotes, escapes, comments, ; && || | and newlines as separators). It does not
// expand anything: `$VAR` stays literal, which is what the rules need to recognise references.

export const SEPARATOR = '\u0000';

/**
 * Splits a script into words; command separators become SEPARATOR words. A comment yields
 * nothing, or, with `comments`, its words as a command of their own: a password written in a
 * comment is stored in the cluster all the same, while a host named there is reached by nothing.
 */
export function shellWords(script: string, comments = false): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | '`' | undefined;
  const end = (): void => {
    if (inWord) words.push(cur);
    cur = '';
    inWord = false;
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (quote) {
      // A command substitution is one word, and keeps its backticks: it is replaced at run time.
      if (ch === quote) { if (quote === '`') cur += ch; quote = undefined; }
      // In double quotes a backslash escapes only $ ` " \ and newline; before anything else it
      // stays (POSIX), so "http://evil.com\@ok.com" keeps the backslash curl sees.
      else if (ch === '\\' && quote === '"' && i + 1 < script.length && '$`"\\\n'.includes(script[i + 1]!)) cur += script[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") { quote = ch; inWord = true; continue; }
    if (ch === '`') { quote = ch; cur += ch; inWord = true; continue; }
    if (ch === '#' && !inWord) {
      if (comments) {
        if (words.length > 0 && words.at(-1) !== SEPARATOR) words.push(SEPARATOR);
        continue;
      }
      const nl = script.indexOf('\n', i);
      i = (nl < 0 ? script.length : nl) - 1;
      continue;
    }
    if (ch === '\\' && i + 1 < script.length) { cur += script[++i]; inWord = true; continue; }
    if (ch === ' ' || ch === '\t') { end(); continue; }
    if (ch === '\n' || ch === ';' || ch === '|' || ch === '&') {
      end();
      if (words.at(-1) !== SEPARATOR) words.push(SEPARATOR);
      continue;
    }
    cur += ch;
    inWord = true;
  }
  end();
  return words;
}

/** The program a command runs: `/usr/bin/curl` -> `curl`. */
export function programName(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

/** Shells whose `-c` argument is a script. */
const SHELLS = /(^|\/)(ba|da|z|k|a)?sh$/;
/** Short option clusters such as -c, -ec, -xec: all lower-case letters (checked without a regex). */
const MAX_OPTION_CLUSTER = 16;

/** `-c`, `-ec`, `-lc`...: a cluster of short options that includes c (`/^-[a-z]*c[a-z]*$/` is quadratic). */
function isScriptFlag(word: string): boolean {
  if (word.length < 2 || word.length > MAX_OPTION_CLUSTER || word[0] !== '-' || !word.includes('c')) return false;
  for (let i = 1; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/**
 * The argv of a container (command + args), with any `sh -c SCRIPT` script split into words.
 * Each word keeps the index of the text it came from.
 */
export function argvWords(texts: readonly { value: string }[], comments = false): { word: string; text: number }[] {
  const out: { word: string; text: number }[] = [];
  let script = false;
  const shell = texts.length > 0 && SHELLS.test(texts[0]!.value);
  texts.forEach((t, i) => {
    if (script) {
      // The script starts a new command line of its own.
      out.push({ word: SEPARATOR, text: i });
      for (const w of shellWords(t.value, comments)) out.push({ word: w, text: i });
      script = false;
      return;
    }
    out.push({ word: t.value, text: i });
    if (i > 0 && shell && isScriptFlag(t.value)) script = true;
  });
  return out;
}

/** Texts grouped into command lines by their argv key, in order: command + args, each probe's exec. */
export function argvGroups<T extends { argv?: string; field: string }>(texts: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const t of texts) {
    const key = t.argv ?? (t.field === 'command' || t.field === 'args' ? 'command' : undefined);
    if (key === undefined) continue;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(t);
  }
  return [...groups.values()];
}
