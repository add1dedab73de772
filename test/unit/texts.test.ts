import { expect } from 'chai';
import { EXPANSION_ALLOWANCE, ExpansionLimitError, expandReferences, maskPlaceholders, newBudget, OPAQUE, type Known } from '../../src/objects/expand.ts';
import { containerTexts } from '../../src/objects/texts.ts';
import { ShapeError, viewWorkload } from '../../src/objects/workload.ts';

const O = OPAQUE;
const vars = (entries: Record<string, string | undefined>): Map<string, Known> =>
  new Map(Object.entries(entries).map(([k, value], index) => [k, { value, index }]));

describe('kubelet $(VAR) expansion', () => {
  // The kubelet's own cases (third_party/forked/golang/expansion), with unknown values as OPAQUE.
  const cases: [string, string, string][] = [
    ['a defined variable', 'x-$(A)-y', 'x-alpha-y'],
    ['two in a row', '$(A)$(B)', 'alphabeta'],
    ['an empty one', '$(EMPTY)tail', 'tail'],
    ['an undefined one', 'x-$(NOPE)-y', `x-${O}-y`],
    ['a value from a Secret', '$(FROM_SECRET)', O],
    ['$$ escapes', '$$(A)', '$(A)'],
    ['$$$ escapes then expands', '$$$(A)', '$alpha'],
    ['$ before another character', '$A and $1 and $', '$A and $1 and $'],
    ['$( with no closing parenthesis', 'x$(A', 'x$(A'],
    // No variable can have these names (only written env entries may, and those are known), so
    // the kubelet leaves them as written; a shell then runs them as command substitutions.
    ['a name running to the first ), which no variable can have', '$($(A))', '$($(A))'],
    ['a name with spaces, kept for the shell', '$(cat /etc/passwd)', '$(cat /etc/passwd)'],
    ['a name a service link or envFrom key could have', '$(REDIS_SERVICE_HOST)', O],
  ];
  const known = vars({ A: 'alpha', B: 'beta', EMPTY: '', FROM_SECRET: undefined });
  for (const [what, input, want] of cases) {
    it(`expands ${what}: ${JSON.stringify(input)}`, () => {
      expect(expandReferences(input, known, newBudget())).to.equal(want);
    });
  }

  it('reports the env index of every variable used, known value or not', () => {
    const refs: number[] = [];
    expandReferences('$(B)$(FROM_SECRET)$(NOPE)', known, newBudget(), (i) => refs.push(i));
    expect(refs).to.deep.equal([1, 3]);
  });

  it('does not let the input forge the opaque marker', () => {
    expect(expandReferences(`pw${O}`, known, newBudget())).not.to.contain(O);
    expect(maskPlaceholders('a')).to.equal('a');
  });

  it('stops a doubling bomb at the allowance instead of building it', () => {
    const v = new Map<string, Known>([['A0', { value: 'x'.repeat(1024), index: 0 }]]);
    const budget = newBudget();
    expect(() => {
      for (let i = 1; i < 40; i++) v.set(`A${i}`, { value: expandReferences(`$(A${i - 1})$(A${i - 1})`, v, budget), index: i });
    }).to.throw(ExpansionLimitError, String(EXPANSION_ALLOWANCE));
  });

  it('reads a long run of unclosed $( once', () => {
    const input = '$('.repeat(200_000);
    expect(expandReferences(input, known, newBudget())).to.equal(input);
  });
});

describe('placeholders', () => {
  const cases: [string, string, string][] = [
    ['${NAME}', 'pw=${DB_PASSWORD}', `pw=${O}`],
    ['the default of ${NAME:-default} stays', '${PW:-changeme}', `${O}:-changeme}`],
    ['${#NAME}', 'n=${#PW}', `n=${O}`],
    ['{{ template code }}', '{{ .Values.db.password }}', O],
    ['two template actions', 'a{{ x }}b{{ y }}c', `a${O}b${O}c`],
    ['not ${ followed by a name', '${ 1 }', '${ 1 }'],
    ['not {{ across a line', '{{ a\nhunter2 }}', '{{ a\nhunter2 }}'],
    ['not {{ longer than a template action', `{{${'x'.repeat(300)}}}`, `{{${'x'.repeat(300)}}}`],
  ];
  for (const [what, input, want] of cases) {
    it(`masks ${what}`, () => expect(maskPlaceholders(input)).to.equal(want));
  }

  it('reads a long run of unclosed {{ once', () => {
    const input = '{{'.repeat(200_000) + '}}';
    expect(maskPlaceholders(input).length).to.be.greaterThan(0);
  });
});

describe('container texts', () => {
  const view = (container: Record<string, unknown>, list = 'containers') =>
    viewWorkload({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], [list]: [{ name: 'c', ...container }] } })!.containers[0]!;
  const texts = (container: Record<string, unknown>) => containerTexts(view(container), newBudget()).texts;

  it('expands env values with the variables defined before them only, as the kubelet does', () => {
    const t = texts({ env: [{ name: 'LATER_REF', value: '$(B)' }, { name: 'A', value: 'a' }, { name: 'B', value: '$(A)b' }] });
    expect(t.map((x) => x.value)).to.deep.equal([O, 'a', 'ab']);
    expect(t[2]!.refs).to.deep.equal([1]);
  });

  it('expands command and args with the whole environment, and a secretKeyRef as opaque', () => {
    const t = texts({
      env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }, { name: 'H', value: 'db' }],
      command: ['psql', '-h', '$(H)'], args: ['--password=$(S)'],
    });
    expect(t.filter((x) => x.argv === 'command').map((x) => x.value)).to.deep.equal(['psql', '-h', 'db', `--password=${O}`]);
  });

  it('reads probe and lifecycle exec commands and httpGet headers, each with its own path', () => {
    const t = texts({
      livenessProbe: { exec: { command: ['redis-cli', 'ping'] } },
      readinessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'X-Api-Key', value: 'k' }] } },
      startupProbe: { exec: { command: ['true'] } },
      lifecycle: { postStart: { exec: { command: ['sh', '-c', 'x'] } }, preStop: { httpGet: { port: 80, httpHeaders: [{ name: 'A', value: 'b' }] } } },
    });
    expect(t.map((x) => [x.path, x.argv ?? x.envName])).to.deep.equal([
      ['spec.containers[0].livenessProbe.exec.command[0]', 'livenessProbe'],
      ['spec.containers[0].livenessProbe.exec.command[1]', 'livenessProbe'],
      ['spec.containers[0].startupProbe.exec.command[0]', 'startupProbe'],
      ['spec.containers[0].lifecycle.postStart.exec.command[0]', 'lifecycle.postStart'],
      ['spec.containers[0].lifecycle.postStart.exec.command[1]', 'lifecycle.postStart'],
      ['spec.containers[0].lifecycle.postStart.exec.command[2]', 'lifecycle.postStart'],
      ['spec.containers[0].readinessProbe.httpGet.httpHeaders[0].value', 'X-Api-Key'],
      ['spec.containers[0].lifecycle.preStop.httpGet.httpHeaders[0].value', 'A'],
    ]);
  });

  it('lists variables read from a ConfigMap by name, since their value is not in the object', () => {
    const c = view({ env: [{ name: 'DB_PASSWORD', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] });
    expect(containerTexts(c, newBudget()).fromConfigMap).to.deep.equal([{ envName: 'DB_PASSWORD', path: 'spec.containers[0].env[0].valueFrom.configMapKeyRef' }]);
  });

  it('sees ephemeral containers', () => {
    expect(view({ args: ['x'] }, 'ephemeralContainers').path).to.equal('spec.ephemeralContainers[0]');
  });

  it('rejects a probe command that is not a list of strings, naming the field', () => {
    expect(() => texts({ livenessProbe: { exec: { command: 'redis-cli ping' } } })).to.throw(ShapeError, /livenessProbe\.exec\.command: expected a list of strings/);
  });
});
