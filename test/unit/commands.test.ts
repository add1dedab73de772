import { expect } from 'chai';
import { forEachCommand, MAX_DEPTH, type Command } from '../../src/objects/commands.ts';
import { OPAQUE } from '../../src/objects/expand.ts';

/** The commands of an argv, as `program arg arg` strings (assignments as `NAME=value` before). */
function commands(argv: string[], comments = false): string[] {
  const out: string[] = [];
  forEachCommand(argv.map((value) => ({ value })), (c: Command) => {
    const parts = [...c.assignments.map((a) => `${a.name}=${a.value}`), c.comment ? '#' : c.program || '?', ...c.args.map((a) => a.text)];
    out.push(parts.join(' ') + (c.redirects.length ? ` >${c.redirects.map((r) => r.text).join(',')}` : '') + (c.piped ? ' |' : ''));
  }, { comments });
  return out;
}
const sh = (script: string): string[] => commands(['sh', '-c', script]);

describe('the command-line view', () => {
  const cases: [string, string[], string[]][] = [
    ['a plain argv', ['curl', '-fsS', 'https://x/'], ['curl -fsS https://x/']],
    ['a path to the program', ['/usr/bin/curl', 'x'], ['curl x']],
    ['args only, a flag first: the entrypoint is unknown', ['--host', 'db'], ['? --host db']],
    ['tini -- program', ['tini', '--', 'nc', 'h', '1'], ['nc h 1']],
    ['tini with options', ['/sbin/tini', '-s', '-g', '--', 'nc', 'h'], ['nc h']],
    ['dumb-init', ['dumb-init', '--single-child', 'nc', 'h'], ['nc h']],
    ['env with options and assignments', ['/usr/bin/env', '-i', 'FOO=1', 'curl', 'h'], ['FOO=1 curl h']],
    ['timeout DURATION', ['timeout', '-s', 'KILL', '5', 'nc', 'h'], ['nc h']],
    ['nice -n', ['nice', '-n', '5', 'curl', 'h'], ['curl h']],
    ['gosu USER', ['gosu', 'app', 'curl', 'h'], ['curl h']],
    ['su-exec USER', ['su-exec', 'app:app', 'curl', 'h'], ['curl h']],
    ['busybox APPLET', ['busybox', 'nc', 'h', '443'], ['nc h 443']],
    ['wrappers stacked', ['tini', '--', 'gosu', 'app', 'timeout', '5', 'nohup', 'curl', 'h'], ['curl h']],
    ['sh -c SCRIPT', ['sh', '-c', 'curl h; nc h2 1'], ['sh', 'curl h', 'nc h2 1']],
    ['sh -c -- SCRIPT', ['sh', '-c', '--', 'curl h'], ['sh', 'curl h']],
    ['bash -euo pipefail -c', ['bash', '-euo', 'pipefail', '-c', 'curl h'], ['bash', 'curl h']],
    ['bash -lc', ['/bin/bash', '-lc', 'curl h'], ['bash', 'curl h']],
    ['a wrapper before the shell', ['tini', '--', 'sh', '-c', 'exec nc h 1'], ['sh', 'nc h 1']],
    ['a script argument after the script', ['sh', '-c', 'curl "$1"', 'sh', 'h'], ['sh sh h', 'curl $1']],
    ['a shell without -c runs a file', ['bash', 'run.sh', 'h'], ['bash run.sh h']],
  ];
  for (const [what, argv, expected] of cases) it(`reads ${what}`, () => { expect(commands(argv)).to.deep.equal(expected); });

  const scripts: [string, string, string[]][] = [
    ['separators', 'a 1 && b 2 || c 3; d 4 & e 5\nf 6', ['a 1', 'b 2', 'c 3', 'd 4', 'e 5', 'f 6']],
    ['a pipe', 'echo x | docker login --password-stdin', ['echo x', 'docker login --password-stdin |']],
    ['quotes', `curl 'a b' "c d" e\\ f`, ['curl a b c d e f']],
    ['a backslash before other characters in double quotes stays', '"a\\@b"', ['a\\@b']],
    ['ANSI-C quoting decoded as bash does', `curl $'\\x65xfil.com' $'a\\tb'`, ['curl exfil.com a\tb']],
    ['assignments before the program', 'PGPASSWORD=x FOO=y psql -h h', ['PGPASSWORD=x FOO=y psql -h h']],
    ['export', 'export DB_HOST=h OTHER', ['DB_HOST=h export OTHER']],
    ['redirections are not arguments', 'exec 3<>/dev/tcp/h/443; cat < in > out 2>&1', ['? >/dev/tcp/h/443', 'cat >in,out,1']],
    ['exec as a wrapper', 'exec nc h 1', ['nc h 1']],
    ['a nested shell', `bash -c "sh -c 'curl h'"`, ['bash', 'sh', 'curl h']],
    ['eval', `eval "curl h"`, ['eval', 'curl h']],
    ['su -c', `su app -c 'curl h'`, ['su app', 'curl h']],
    ['a command substitution is a script, opaque in its word', 'x=$(curl https://h/) && echo "$x"', ['curl https://h/', `x=${OPAQUE} ?`, 'echo $x']],
    ['backticks', 'echo `nc h 1`', ['nc h 1', `echo ${OPAQUE}`]],
    ['a subshell and a group', '(cd /tmp && curl h) ; { nc h2 1; }', ['cd /tmp', 'curl h', 'nc h2 1']],
    ['a comment is skipped', '# curl evil\ncurl h # and here', ['curl h']],
    ['a variable the script sets to literal text is read as that text', "H=exfil-four.com; P=443\ncurl https://$H:$P/ \"$H\" '$H'", ['H=exfil-four.com ?', 'P=443 ?', 'curl https://exfil-four.com:443/ exfil-four.com $H']],
    ['a variable set from a substitution stays a variable', 'H=$(cat /etc/h); curl $H', ['cat /etc/h', `H=${OPAQUE} ?`, 'curl $H']],
    ['an assignment before a program sets nothing for later commands', 'H=x make; curl $H', ['H=x make', 'curl $H']],
    ['a line continuation', 'curl \\\n  h', ['curl h']],
    ['blanks', 'a b  c', ['a b c']],
    ['an escaped quote in double quotes and an escaped blank', 'x\\ y "q\\"z"', ['x y q"z']],
    ['an empty quoted word is a word', 'printf ""', ['printf ']],
  ];
  for (const [what, script, expected] of scripts) {
    it(`splits a script: ${what}`, () => { expect(sh(script).slice(1)).to.deep.equal(expected); });
  }

  it('delivers comments as commands when asked (a password written there is stored all the same)', () => {
    expect(commands(['sh', '-c', 'run # --password x'], true).slice(1)).to.deep.equal(['run', '# --password x']);
  });

  it('reads nested scripts to a bounded depth, and deeper text still as words', () => {
    let script = 'curl h';
    for (let i = 0; i < MAX_DEPTH + 3; i++) script = `sh -c ${JSON.stringify(script)}`;
    const seen = commands(['sh', '-c', script]);
    expect(seen.length).to.be.at.most(MAX_DEPTH + 2);
    expect(seen.at(-1)).to.include('curl h');
  });

  it('holds one command at a time: a 1.4 MB script of `a;` is read without building its words', () => {
    let count = 0;
    forEachCommand([{ value: 'sh' }, { value: '-c' }, { value: 'a;'.repeat(700_000) }], () => { count++; });
    expect(count).to.equal(700_001);
  });

  it('keeps the argv index each word comes from', () => {
    const sources: number[][] = [];
    forEachCommand(['tini', '--', 'sh', '-c', 'curl h', 'x'].map((value) => ({ value })), (c) => sources.push(c.args.map((a) => a.source)));
    expect(sources).to.deep.equal([[5], [4]]);
  });
});
