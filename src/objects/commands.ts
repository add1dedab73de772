// The command-line view: what each program a container starts receives, read the way the
// shell and the program would read it. A container's argv (command + args, or an exec probe's
// command) is one command; `sh -c SCRIPT`, `eval`, `su -c` scripts and `$(…)`/backtick
// substitutions are read as scripts of their own, nested. Entrypoint wrappers (`tini --`,
// `dumb-init`, `env A=b`, `exec`, `timeout 5`, `gosu user`, `busybox APPLET`...) are looked
// through, so `program` is what really runs. Rules read `Command`s; they never split text.
//
// Bounded by construction: a script is read once per nesting level and nesting stops at
// MAX_DEPTH (deeper text is still read, as plain words); only the words of the command being
// read are held, so a 1 MB script of `a;` never becomes a million-element array.

import { asciiClass } from './chars.ts';
import { isNameChar, isNameStart, OPAQUE } from './expand.ts';

/** A word of a command and the index of the text (argv entry) it comes from. */
export interface CommandWord {
  text: string;
  source: number;
}

/** A redirection: its operator (`>`, `>>`, `2>`, `<`, `<<<`...) and its target (or a here-string's text). */
export interface Redirect extends CommandWord {
  op: string;
}

/** A program looked through on the way to the one that runs (`sshpass -p x`, `sudo -S`), with its own words. */
export interface WrapperWords {
  program: string;
  args: CommandWord[];
}

export interface Command {
  /** Base name of the program after wrappers (`/usr/bin/curl` -> `curl`); '' when unknown. */
  program: string;
  /** The word the program was read from (a container whose `args` start with a URL has one too). */
  programWord?: CommandWord;
  /** The words after the program, redirections left out. */
  args: CommandWord[];
  /** `NAME=value` before the program (shell assignments, `env NAME=value`, `export NAME=value`). */
  assignments: { name: string; value: string; word: CommandWord }[];
  /** Redirection targets and here-strings: `> file`, `3<>/dev/tcp/host/443`, `<<< text`. */
  redirects: Redirect[];
  /** Its standard input is the previous command's output (`echo x | program`). */
  piped: boolean;
  /**
   * The command whose output feeds this one's standard input (`echo x` in `echo x | program`),
   * without its own `pipedFrom`: one command back, so a long pipeline holds two at a time.
   */
  pipedFrom?: Command;
  /** Text the script hands to its standard input: a here-document's body or a here-string. */
  stdin?: CommandWord;
  /** Its output is piped into the next command, which reads it (and sees this one as `pipedFrom`). */
  pipesOut?: true;
  /** Wrappers looked through, outermost first (`timeout 30`, `sshpass -p x`), with their own words. */
  wrappers?: WrapperWords[];
  /**
   * A line of a here-document handed to a program other than a shell (`cat > run.sh <<EOF`):
   * text that may run later, where it is written. Read for what it stores; it reaches nothing now.
   */
  embedded?: true;
  /** The words of a `# comment` in a script (only when asked for). */
  comment?: true;
}

/** Nested scripts read as scripts up to this depth; deeper text is read as plain words. */
export const MAX_DEPTH = 8;

export interface CommandOptions {
  /** Deliver script comments as commands with `comment: true` (a password written in a comment is still stored). */
  comments?: boolean;
}

type Visit = (command: Command) => void;

/** What a script hands a command besides its words: a here-document, the command piped into it. */
interface Feed { stdin?: CommandWord; pipedFrom?: Command; pipesOut?: boolean }

/** Shells whose `-c` argument is a script. */
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'yash', 'posh']);
/** Shell options that take the next word as their value. */
const SHELL_VALUED = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);
/** Builtins whose `NAME=value` arguments are assignments. */
const DECLARATIONS = new Set(['export', 'local', 'declare', 'typeset', 'readonly']);

/**
 * Programs that run another program: options to skip (those taking a value listed), how many
 * positional words come before the program (`timeout 5 cmd`, `gosu user cmd`), and whether
 * `NAME=value` words set the environment (`env`, `sudo`).
 */
interface Wrapper { valued?: readonly string[]; positional?: number; assignments?: boolean }
export const WRAPPERS: ReadonlyMap<string, Wrapper> = new Map<string, Wrapper>([
  ['exec', { valued: ['-a'] }],
  ['command', {}],
  ['builtin', {}],
  ['nohup', {}],
  ['setsid', {}],
  ['time', {}],
  ['unbuffer', {}],
  ['busybox', {}],
  ['toybox', {}],
  ['env', { valued: ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'], assignments: true }],
  ['nice', { valued: ['-n', '--adjustment'] }],
  ['ionice', { valued: ['-c', '-n', '-p', '-P', '-u', '--class', '--classdata'] }],
  ['stdbuf', { valued: ['-i', '-o', '-e', '--input', '--output', '--error'] }],
  ['timeout', { valued: ['-s', '--signal', '-k', '--kill-after'], positional: 1 }],
  ['tini', { valued: ['-p', '-e'] }],
  ['tini-static', { valued: ['-p', '-e'] }],
  ['dumb-init', { valued: ['-r', '--rewrite'] }],
  ['catatonit', {}],
  ['gosu', { positional: 1 }],
  ['su-exec', { positional: 1 }],
  ['s6-setuidgid', { positional: 1 }],
  ['setuidgid', { positional: 1 }],
  ['chroot', { valued: ['--userspec', '--groups'], positional: 1 }],
  ['taskset', { positional: 1 }],
  ['chrt', { positional: 1 }],
  ['sudo', { valued: ['-u', '--user', '-g', '--group', '-h', '--host', '-p', '--prompt', '-C', '-D', '-r', '-t', '-U', '-T'], assignments: true }],
  ['doas', { valued: ['-u', '-C'] }],
  ['runuser', { valued: ['-u', '--user', '-g', '--group', '-G', '--supp-group', '-s', '--shell', '-w'] }],
  ['sshpass', { valued: ['-p', '-f', '-d', '-e', '-P'] }],
  ['xargs', { valued: ['-I', '-i', '-n', '-P', '-L', '-l', '-s', '-d', '-E', '-e', '-a', '--max-args', '--max-procs', '--delimiter', '--arg-file', '--max-lines', '--max-chars'] }],
]);

/** Texts grouped into command lines by their argv key, in order: command + args, each probe's or hook's exec. */
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

/** A rule's reader of commands: each command, and the text a word's `source` index names. */
export type CommandReader<T> = (command: Command, textOf: (source: number) => T) => void;

/**
 * Reads every command line of a holder's texts once and hands each command to every reader, so
 * the rules share one walk (a 1.4 MB script is split once, not once per rule). Comments are
 * delivered (`comment: true`); readers that reach nothing through them skip them.
 */
export function readCommandLines<T extends { argv?: string; field: string; value: string }>(texts: readonly T[], readers: readonly CommandReader<T>[]): void {
  for (const group of argvGroups(texts)) {
    const textOf = (source: number): T => group[source]!;
    forEachCommand(group, (cmd) => { for (const read of readers) read(cmd, textOf); }, { comments: true });
  }
}

/** `/usr/bin/curl` -> `curl`. */
export function programName(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}


/** `NAME=value` as the shell reads an assignment: NAME an identifier. */
export function splitAssignment(word: string): { name: string; value: string } | undefined {
  if (!isNameStart(word.charCodeAt(0))) return undefined;
  let i = 1;
  while (i < word.length && isNameChar(word.charCodeAt(i))) i++;
  if (word[i] !== '=') return undefined;
  return { name: word.slice(0, i), value: word.slice(i + 1) };
}

/** A redirection operator at the start of a word: `>`, `>>`, `2>`, `&>`, `<`, `<>`, `<<<`, `>&`...; its length, or 0. */
function redirection(word: string): number {
  const first = word.charCodeAt(0);
  if (first !== 62 && first !== 60 && first !== 38 && !(first >= 48 && first <= 57)) return 0;
  let i = 0;
  while (i < word.length && i < 3 && word.charCodeAt(i) >= 48 && word.charCodeAt(i) <= 57) i++;
  if (i === 0 && word[0] === '&' && word[1] === '>') i = 1;
  const start = i;
  while (i < word.length && i - start < 3 && (word[i] === '>' || word[i] === '<' || word[i] === '|' || word[i] === '&')) i++;
  return i > start && (word[start] === '>' || word[start] === '<') ? i : 0;
}

/**
 * Reads one container argv (each entry one word, as the kernel passes them) and calls `visit`
 * with every command it runs, nested scripts included.
 */
export function forEachCommand(argv: readonly { value: string }[], visit: Visit, options: CommandOptions = {}): void {
  const words = argv.map((t, i) => ({ text: t.value, source: i }));
  // Only args, no command: the image's entrypoint runs them. A flag first means the entrypoint
  // is the program (unknown); otherwise the first word is, as most entrypoints exec their args.
  new Reader(visit, options).command(words, 0, false);
}

/** Characters a script's own variables may add by substitution, across one argv: past it `$NAME` stays as written. */
const SUBSTITUTION_ALLOWANCE = 256 * 1024;
/** Variables remembered per argv. */
const MAX_VARIABLES = 1024;

class Reader {
  private readonly visit: Visit;
  private readonly options: CommandOptions;
  /**
   * Variables a script sets to literal text (`H=partner.com; curl $H`): `$H` is read as that
   * text, as the shell would. Only literal values; anything run-time stays `$H` (opaque).
   */
  private readonly vars = new Map<string, string>();
  private substitutionLeft = SUBSTITUTION_ALLOWANCE;
  /** Inside a here-document read as lines of a script (`embedded`): how many levels deep. */
  private embedded = 0;
  constructor(visit: Visit, options: CommandOptions) {
    this.visit = visit;
    this.options = options;
  }

  private remember(assignments: Command['assignments']): void {
    for (const a of assignments) {
      if (a.value.includes(OPAQUE) || a.value.includes('$')) { this.vars.delete(a.name); continue; }
      if (this.vars.size < MAX_VARIABLES || this.vars.has(a.name)) this.vars.set(a.name, a.value);
    }
  }

  /** `$NAME` in a script word: the script's own literal value, or `$NAME` as written. */
  private substitute(name: string): string {
    const value = this.vars.get(name);
    if (value === undefined || value.length > this.substitutionLeft) return `$${name}`;
    this.substitutionLeft -= value.length;
    return value;
  }

  /**
   * One command's words: assignments, wrappers, then the program and what it runs. Returns the
   * command it delivered for these words (the one a pipe's next command reads from).
   */
  command(words: CommandWord[], depth: number, piped: boolean, feed: Feed = {}): Command | undefined {
    const assignments: Command['assignments'] = [];
    const redirects: Redirect[] = [];
    let stdin = feed.stdin;
    // The container's own argv has no redirections (no shell reads it); a script's words are
    // copied only when one has.
    let plain = words;
    if (depth > 0 && words.some((w) => redirection(w.text) > 0)) {
      plain = [];
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        const op = redirection(w.text);
        if (op > 0) {
          // `> file` or `>file`: the target is not an argument.
          const target = op === w.text.length ? words[++i] : { text: w.text.slice(op), source: w.source };
          if (!target) continue;
          const operator = w.text.slice(0, op);
          redirects.push({ ...target, op: operator });
          // `<<< text`: the text (and a newline) is the command's standard input.
          if (operator.endsWith('<<<')) stdin = target;
          continue;
        }
        plain.push(w);
      }
    }
    let i = 0;
    if (depth > 0) {
      for (; i < plain.length; i++) {
        const a = splitAssignment(plain[i]!.text);
        if (!a) break;
        assignments.push({ ...a, word: plain[i]! });
      }
    }
    const wrappers: WrapperWords[] = [];
    i = this.unwrap(plain, i, assignments, wrappers);
    let delivered: Command | undefined;
    const emit = (program: string, args: CommandWord[], programWord?: CommandWord): void => {
      delivered = {
        program, args, assignments, redirects, piped,
        ...(programWord ? { programWord } : {}),
        ...(feed.pipedFrom ? { pipedFrom: feed.pipedFrom } : {}),
        ...(stdin ? { stdin } : {}),
        ...(wrappers.length ? { wrappers } : {}),
        ...(this.embedded > 0 ? { embedded: true as const } : {}),
        ...(feed.pipesOut ? { pipesOut: true as const } : {}),
      };
      this.visit(delivered);
    };
    if (i >= plain.length) {
      // `H=value` alone sets a shell variable for the rest of the script.
      if (depth > 0) this.remember(assignments);
      if (assignments.length || redirects.length || stdin) emit('', []);
      return delivered;
    }
    const first = plain[i]!;
    if (depth === 0 && i === 0 && first.text.startsWith('-')) { emit('', plain); return delivered; }
    const program = programName(first.text);
    const args = plain.slice(i + 1);
    const say = (name: string, rest: CommandWord[]): void => emit(name, rest, first);
    if (DECLARATIONS.has(program)) {
      const rest: CommandWord[] = [];
      for (const w of args) {
        const a = splitAssignment(w.text);
        if (a) assignments.push({ ...a, word: w }); else rest.push(w);
      }
      this.remember(assignments);
      say(program, rest);
      return delivered;
    }
    // Past MAX_DEPTH a script is one more word: still read by the rules, as plain text.
    if (depth >= MAX_DEPTH) { say(program, args); return delivered; }
    if (SHELLS.has(program)) {
      const script = shellScript(args);
      if (script !== undefined) {
        say(program, args.slice(script + 1));
        this.script(args[script]!, depth + 1);
        return delivered;
      }
      // `sh <<EOF … EOF`, `bash -s <<< '…'`: a shell with no script argument reads its script from stdin.
      if (stdin && !args.some((a) => !a.text.startsWith('-') && !a.text.startsWith('+'))) {
        say(program, args);
        this.script(stdin, depth + 1);
        return delivered;
      }
    } else if (program === 'eval' && args.length > 0) {
      say(program, []);
      this.script({ text: args.map((a) => a.text).join(' '), source: args[0]!.source }, depth + 1);
      return delivered;
    } else if ((program === 'su' || program === 'runuser') && args.length > 0) {
      const c = args.findIndex((a) => a.text === '-c' || a.text === '--command');
      if (c >= 0 && c + 1 < args.length) {
        say(program, [...args.slice(0, c), ...args.slice(c + 2)]);
        this.script(args[c + 1]!, depth + 1);
        return delivered;
      }
    }
    say(program, args);
    // A here-document for another program (`cat > run.sh <<EOF`, `ssh h <<EOF`) is often a
    // script or a configuration that runs later: its lines are read as commands too, marked.
    if (feed.stdin && stdin === feed.stdin) {
      this.embedded++;
      try { this.script(feed.stdin, depth + 1); } finally { this.embedded--; }
    }
    return delivered;
  }

  /** Skips wrappers from `i`; returns the index of the program that really runs. */
  private unwrap(words: CommandWord[], i: number, assignments: Command['assignments'], seen: WrapperWords[]): number {
    for (let guard = 0; i < words.length && guard < 32; guard++) {
      const name = programName(words[i]!.text);
      const wrapper = WRAPPERS.get(name);
      if (!wrapper) return i;
      i++;
      const own = i;
      let positional = wrapper.positional ?? 0;
      while (i < words.length) {
        const t = words[i]!.text;
        if (t === '--') { i++; break; }
        if (t.length > 1 && t.startsWith('-')) {
          const eq = t.indexOf('=');
          const flag = eq > 0 ? t.slice(0, eq) : t;
          i += wrapper.valued?.includes(flag) && eq < 0 ? 2 : 1;
          continue;
        }
        if (wrapper.assignments) {
          const a = splitAssignment(t);
          if (a) { assignments.push({ ...a, word: words[i]! }); i++; continue; }
        }
        if (positional > 0) { positional--; i++; continue; }
        break;
      }
      // The wrapper's own words: `sshpass -p x` and `sudo -S` say how the password arrives.
      seen.push({ program: name, args: words.slice(own, Math.min(i, words.length)) });
    }
    return i;
  }

  /**
   * A here-document body under an unquoted delimiter, expanded as the shell does: `$NAME` and
   * `${NAME}` are the script's own literal values (or stay as written), `$(…)` and backticks
   * are run-time output (OPAQUE), `\\$` is a dollar.
   */
  private expandBody(body: string): string {
    if (!body.includes('$') && !body.includes('`') && !body.includes('\\')) return body;
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const ch = body[i]!;
      if (ch === '\\' && '$`\\'.includes(body[i + 1] ?? '')) { out += body[++i]; continue; }
      if (ch === '`') { const end = body.indexOf('`', i + 1); out += OPAQUE; i = end < 0 ? body.length : end; continue; }
      if (ch !== '$') { out += ch; continue; }
      if (body[i + 1] === '(') { const end = matchingParen(body, i + 2); out += OPAQUE; i = end < 0 ? body.length : end; continue; }
      const braced = body[i + 1] === '{';
      let j = braced ? i + 2 : i + 1;
      const start = j;
      if (!isNameStart(body.charCodeAt(j))) { out += ch; continue; }
      while (j < body.length && isNameChar(body.charCodeAt(j))) j++;
      if (braced && body[j] !== '}') { out += ch; continue; }
      const value = this.substitute(body.slice(start, j));
      out += value.startsWith('$') ? body.slice(i, braced ? j + 1 : j) : value;
      i = braced ? j : j - 1;
    }
    return out;
  }

  /**
   * A script: split into words the way the shell does (quotes, escapes, `$'…'`, comments,
   * `;` `&&` `||` `|` `&` and newlines between commands), each command read with `command`.
   * `$(…)` and backtick substitutions are scripts of their own; the word keeps OPAQUE in their
   * place, since their output is only known at run time.
   */
  script(from: CommandWord, depth: number): void {
    const text = from.text;
    const nest = depth < MAX_DEPTH;
    let words: CommandWord[] = [];
    let cur = '';
    let inWord = false;
    let piped = false;
    /** The command a pipe's next command reads from. */
    let prev: Command | undefined;
    /** The here-document body of the command being read. */
    let stdin: CommandWord | undefined;
    /** Past the last here-document body that starts after this line; -1 when none is pending. */
    let bodiesEnd = -1;
    /** Once a here-document has no terminator, no more are looked for (one scan to the end, not one per `<<`). */
    let heredocs = true;
    const endWord = (): void => {
      if (inWord) words.push({ text: cur, source: from.source });
      cur = '';
      inWord = false;
    };
    const endCommand = (nextPiped: boolean): void => {
      endWord();
      let delivered: Command | undefined;
      if (words.length > 0 || stdin) {
        delivered = this.command(words, depth, piped, { ...(stdin ? { stdin } : {}), ...(piped && prev ? { pipedFrom: prev } : {}), ...(nextPiped ? { pipesOut: true } : {}) });
      }
      words = [];
      stdin = undefined;
      prev = undefined;
      if (nextPiped && delivered) {
        const { pipedFrom: _, ...alone } = delivered;
        prev = alone;
      }
      piped = nextPiped;
    };
    /** Reads a substitution starting at `open` (after its opener); returns the index just past its end. */
    const substitution = (start: number, closer: ')' | '`'): number => {
      const end = closer === ')' ? matchingParen(text, start) : text.indexOf('`', start);
      const stop = end < 0 ? text.length : end;
      if (nest) this.script({ text: text.slice(start, stop), source: from.source }, depth + 1);
      else cur += text.slice(start, stop);
      cur += OPAQUE;
      inWord = true;
      return end < 0 ? text.length : end + 1;
    };
    let quote: '"' | "'" | undefined;
    for (let i = 0; i < text.length; i++) {
      // Runs of ordinary characters are taken whole: one slice, not one concatenation each.
      const plain = quote === undefined ? PLAIN : quote === '"' ? PLAIN_IN_DOUBLE : PLAIN_IN_SINGLE;
      if (isPlain(plain, text.charCodeAt(i))) {
        let j = i + 1;
        while (j < text.length && isPlain(plain, text.charCodeAt(j))) j++;
        cur += text.slice(i, j);
        inWord = true;
        i = j - 1;
        continue;
      }
      const ch = text[i]!;
      if (ch === '\n' && quote === undefined && bodiesEnd > i) {
        // The line that opened here-documents ends: their bodies were read, the script goes on after them.
        endCommand(false);
        i = bodiesEnd - 1;
        bodiesEnd = -1;
        continue;
      }
      if (heredocs && quote === undefined && ch === '<' && text[i + 1] === '<' && text[i + 2] !== '<' && text[i - 1] !== '<') {
        const doc = hereDocument(text, i + 2, bodiesEnd);
        if (doc === undefined) heredocs = false;
        else if (doc !== null) {
          endWord();
          stdin = { text: doc.quoted ? doc.body : this.expandBody(doc.body), source: from.source };
          bodiesEnd = doc.bodyEnd;
          i = doc.opEnd - 1;
          continue;
        }
      }
      if (quote === "'") {
        if (ch === "'") quote = undefined; else cur += ch;
        continue;
      }
      if (ch === '$' && text[i + 1] === '(' && text[i + 2] !== '(') { i = substitution(i + 2, ')') - 1; continue; }
      if (ch === '`') { i = substitution(i + 1, '`') - 1; continue; }
      if (ch === '$' && isNameStart(text.charCodeAt(i + 1))) {
        let j = i + 2;
        while (j < text.length && isNameChar(text.charCodeAt(j))) j++;
        cur += this.substitute(text.slice(i + 1, j));
        inWord = true;
        i = j - 1;
        continue;
      }
      if (quote === '"') {
        if (ch === '"') quote = undefined;
        // In double quotes a backslash escapes only $ ` " \ and newline (POSIX); before anything
        // else it stays, so "http://evil.com\@ok.com" keeps the backslash curl sees.
        else if (ch === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1]!)) { if (text[i + 1] !== '\n') cur += text[i + 1]; i++; }
        else cur += ch;
        continue;
      }
      if (ch === '"' || ch === "'") { quote = ch; inWord = true; continue; }
      if (ch === '$' && text[i + 1] === "'") { i = ansiC(text, i + 2, (s) => { cur += s; }) - 1; inWord = true; continue; }
      if (ch === '#' && !inWord) {
        const nl = text.indexOf('\n', i);
        const stop = nl < 0 ? text.length : nl;
        if (this.options.comments) {
          endCommand(false);
          const cwords = text.slice(i + 1, stop).split(/[ \t]+/).filter((w) => w !== '').map((w) => ({ text: w, source: from.source }));
          if (cwords.length) this.visit({ program: '', args: cwords, assignments: [], redirects: [], piped: false, comment: true });
        }
        i = stop - 1;
        continue;
      }
      if (ch === '\\' && i + 1 < text.length) { if (text[i + 1] !== '\n') { cur += text[i + 1]; inWord = true; } i++; continue; }
      if (ch === ' ' || ch === '\t' || ch === '\r') { endWord(); continue; }
      if (ch === '&' && (text[i + 1] === '>' || cur.endsWith('>') || cur.endsWith('<'))) { cur += ch; inWord = true; continue; }
      if (ch === '\n' || ch === ';' || ch === '|' || ch === '&' || ch === '(' || ch === ')' || ch === '{' && !inWord && isBlank(text[i + 1]) || ch === '}' && !inWord) {
        endCommand(ch === '|' && text[i + 1] !== '|');
        if (text[i + 1] === ch && (ch === '|' || ch === '&' || ch === ';')) i++;
        continue;
      }
      cur += ch;
      inWord = true;
    }
    endCommand(false);
  }
}

/** Characters that mean something to the shell where they are: outside quotes, in double quotes, in single quotes. */
const PLAIN = asciiClass('\'"$`\\# \t\r\n;|&(){}<>');
const PLAIN_IN_DOUBLE = asciiClass('"$`\\');
const PLAIN_IN_SINGLE = asciiClass("'");
const isPlain = (table: Uint8Array, c: number): boolean => c >= 128 ? c !== 0xe000 : table[c] === 0;

const isBlank = (c: string | undefined): boolean => c === undefined || c === ' ' || c === '\t' || c === '\n';

/** The index of the `)` closing a `$(` whose content starts at `start` (quotes and nesting respected), or -1. */
function matchingParen(text: string, start: number): number {
  let level = 1;
  let quote: string | undefined;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote) quote = undefined; else if (c === '\\' && quote === '"') i++; continue; }
    if (c === '\\') { i++; continue; }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') level++;
    else if (c === ')' && --level === 0) return i;
  }
  return -1;
}

/** A here-document delimiter as scripts write them: `EOF`, `EOSQL`, `END_OF_CONFIG`. */
const DELIMITER = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * The here-document whose operator `<<` ends just before `at`: `<<EOF`, `<<-EOF` (leading tabs
 * stripped), `<<'EOF'`/`<<"EOF"`/`<<\EOF` (quoted: not expanded). Its body starts on the line
 * after the operator, or after the body of an earlier here-document on the same line
 * (`after`), and ends at the line that is the delimiter. `null` when this is no here-document
 * (`$((1<<2))`), `undefined` when the delimiter line never comes (each scan reads on to the end,
 * so the caller stops looking).
 */
function hereDocument(text: string, at: number, after: number): { body: string; bodyEnd: number; opEnd: number; quoted: boolean } | null | undefined {
  let i = at;
  const strip = text[i] === '-';
  if (strip) i++;
  while (text[i] === ' ' || text[i] === '\t') i++;
  let delimiter = '';
  let quoted = false;
  for (; i < text.length && i - at < 80; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      if (close < 0 || close - i > 66) return null;
      delimiter += text.slice(i + 1, close);
      quoted = true;
      i = close;
    } else if (c === '\\') { quoted = true; }
    else if (' \t\r\n;|&<>()'.includes(c)) break;
    else delimiter += c;
  }
  if (!DELIMITER.test(delimiter)) return null;
  const nl = text.indexOf('\n', i);
  if (nl < 0) return undefined;
  const start = after > nl ? after : nl + 1;
  const lines: string[] = [];
  for (let p = start; p < text.length;) {
    const e = text.indexOf('\n', p);
    const end = e < 0 ? text.length : e;
    let line = text.slice(p, text[end - 1] === '\r' ? end - 1 : end);
    if (strip) line = line.replace(LEADING_TABS, '');
    if (line === delimiter) return { body: lines.join('\n') + (lines.length ? '\n' : ''), bodyEnd: e < 0 ? text.length : e + 1, opEnd: i, quoted };
    lines.push(line);
    p = end + 1;
  }
  return undefined;
}
const LEADING_TABS = /^\t+/;

/** `$'…'` as bash decodes it: `\n`, `\t`, `\xHH`, `\NNN` octal, `\uHHHH`... Returns the index past the closing quote. */
function ansiC(text: string, start: number, out: (s: string) => void): number {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
  let i = start;
  for (; i < text.length && text[i] !== "'"; i++) {
    if (text[i] !== '\\' || i + 1 >= text.length) { out(text[i]!); continue; }
    const e = text[++i]!;
    if (simple[e] !== undefined) { out(simple[e]); continue; }
    const hex = (max: number): number => {
      let j = i + 1;
      while (j < text.length && j - i - 1 < max && /[0-9a-fA-F]/.test(text[j]!)) j++;
      const digits = text.slice(i + 1, j);
      i = j - 1;
      return digits === '' ? -1 : Number.parseInt(digits, 16);
    };
    if (e === 'x') { const n = hex(2); out(n < 0 ? '\\x' : String.fromCharCode(n)); continue; }
    if (e === 'u' || e === 'U') { const n = hex(e === 'u' ? 4 : 8); out(n < 0 || n > 0x10ffff ? `\\${e}` : String.fromCodePoint(n)); continue; }
    if (e >= '0' && e <= '7') {
      let j = i;
      while (j < text.length && j - i < 3 && text[j]! >= '0' && text[j]! <= '7') j++;
      out(String.fromCharCode(Number.parseInt(text.slice(i, j), 8) & 255));
      i = j - 1;
      continue;
    }
    out(`\\${e}`);
  }
  return i + 1;
}

/** The index in `args` of a shell's `-c` script, or undefined when the shell reads a file or stdin. */
function shellScript(args: readonly CommandWord[]): number | undefined {
  let c = false;
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.text;
    if (t === '--' || t === '-') return c && i + 1 < args.length ? i + 1 : undefined;
    if (SHELL_VALUED.has(t)) { i++; continue; }
    if (t.startsWith('--')) continue;
    if ((t.startsWith('-') || t.startsWith('+')) && t.length > 1) {
      if (t.length <= 16 && /^[-+][A-Za-z]+$/.test(t)) {
        if (t.includes('c')) c = true;
        // `-euo pipefail`: a cluster ending in o (or O) takes the next word as its value.
        if (t.endsWith('o') || t.endsWith('O')) i++;
      }
      continue;
    }
    return c ? i : undefined;
  }
  return undefined;
}
