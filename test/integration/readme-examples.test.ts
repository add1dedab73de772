// Issue 24: the README's quick start says what each `check` example exits with and which file
// is denied; run them as written (from the checkout, as the README does) and hold it to that.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../helpers/process.ts';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/^\.\/bin\/extguard\.js (check [^#\n]*?)\s+# exit (\d): (.*)$/gm)].map((m) => ({ args: m[1]!.split(/\s+/), exit: Number(m[2]), says: m[3]! }));

describe('README quick start: the check examples', () => {
  it('there is at least one, with its exit code in a comment', () => {
    expect(examples.length).to.be.greaterThan(0);
  });
  for (const ex of examples) {
    it(`extguard ${ex.args.join(' ')}: exit ${ex.exit}, ${ex.says}`, () => {
      const r = spawnSync(process.execPath, [join(root, 'bin/extguard.js'), ...ex.args], { cwd: root, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(ex.exit);
      // "bad.yaml is denied, good.yaml is OK": the files denied are exactly those the comment
      // calls denied (the README once promised "bad.yaml is denied" while good.yaml was too).
      const denied = r.stdout.split('\n').filter((l) => l.startsWith('DENIED ')).map((l) => /([^/\s]+\.yaml):\d+$/.exec(l)?.[1]);
      const said = [...ex.says.matchAll(/(\S+\.yaml) is denied/g)].map((m) => m[1]);
      expect(denied.sort(), r.stdout).to.deep.equal(said.sort());
      for (const m of ex.says.matchAll(/(\S+\.yaml) is OK/g)) expect(r.stdout).to.match(new RegExp(`^OK .*${m[1]!.replace('.', '\\.')}:\\d+$`, 'm'));
    });
  }
});
