// The corpus subset gate (corpus/native.ts) without an API server: kubectl's answers as this
// API server prints them, the gate's verdicts, and the self-check that the gate can fail.
// test/e2e/native-corpus.test.ts runs the same gate against kube-apiserver.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  evaluate, figures, parseCreate, readRecorded, regressions, renderTable, ruleOfPolicy, sentCases, stream, stricterThanJudge,
  TABLE_BEGIN, TABLE_END, type NativeResult, type SentCase, type Send,
} from '../../corpus/native.ts';
import { loadSources, podOf } from '../../corpus/run.ts';
import { catalogFromDocuments } from '../../src/catalog/files.ts';
import { parseConfig } from '../../src/config/config.ts';
import { compilePolicy, judge } from '../../src/policy/judge.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
type Json = Record<string, unknown>;
type Act = 'deny' | 'warn' | 'admit';

/**
 * kubectl create --dry-run=server -o name -f - in front of one admission policy, printed as
 * kubectl 1.36 prints it against kube-apiserver 1.36 (lines copied from a run, values left
 * out): admitted objects on stdout as they come, each distinct warning once per process,
 * refusals aggregated on stderr at the end.
 */
function fakeKubectl(policy: string, act: (o: Json) => Act): Send & { runs: number } {
  const send = async (objects: readonly Json[]): Promise<string> => {
    send.runs++;
    const stdout: string[] = []; const stderr: string[] = []; const errors: string[] = [];
    const warned = new Set<string>();
    for (const o of objects) {
      const name = (o['metadata'] as { name: string }).name;
      const a = act(o);
      if (a === 'warn') {
        const w = `Warning: Validation failed for ValidatingAdmissionPolicy '${policy}' with binding '${policy}-warn': container app env[0] holds a credential; ${'run `extguard check`'}`;
        if (!warned.has(w)) { warned.add(w); stderr.push(w); }
      }
      if (a === 'deny') errors.push(`Error from server (Invalid): error when creating "STDIN": pods "${name}" is forbidden: ValidatingAdmissionPolicy '${policy}' with binding '${policy}-enforce' denied request: container app env[0] holds a credential`);
      else stdout.push(`pod/${name}`);
    }
    return `${stdout.join('\n')}\n${[...stderr, ...errors].join('\n')}`;
  };
  send.runs = 0;
  return send;
}

describe('native corpus gate (corpus/native.ts)', function () {
  this.timeout(30_000);
  let cases: SentCase[];
  before(() => { cases = sentCases('e2e-ns', loadSources(['adversarial', 'polaris', 'kube-linter'])); });
  const admitted = (): SentCase[] => cases.filter((c) => c.judged.rules.length === 0 && !c.judged.warns);
  const denied = (): SentCase[] => cases.filter((c) => c.judged.rules.length > 0);

  it('reads kubectl\'s answers per object, as kube-apiserver 1.36 gives them', () => {
    // From a run against the e2e control plane (values replaced by …).
    const out = [
      'pod/nc-0002',
      'Warning: Validation failed for ValidatingAdmissionPolicy \'warnargs\' with binding \'warnargs\': args set',
      'Warning: spec.containers[0].env[1]: hides previous definition of "A", which may be dropped when using apply',
      'deployment.apps/nc-0007',
      'Error from server (Invalid): error when creating "STDIN": pods "nc-0001" is forbidden: ValidatingAdmissionPolicy \'denyenv\' with binding \'denyenv\' denied request: env set',
      'Error from server (Invalid): error when creating "STDIN": Pod "nc-0003" is invalid: spec.containers[0].image: Required value',
      'Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "…"',
      '[resource mapping not found for name: "nc-0004" namespace: "t1" from "STDIN": no matches for kind "DeploymentConfig" in version "apps.openshift.io/v1"',
      'ensure CRDs are installed first, resource mapping not found for name: "nc-0005" namespace: "t1" from "STDIN": no matches for kind "CronJob" in version "batch/v1beta1"',
      'ensure CRDs are installed first]',
    ].join('\n');
    const p = parseCreate(out);
    expect(Object.fromEntries(p.answers)).to.deep.equal({
      'nc-0002': { kind: 'admitted' },
      'nc-0007': { kind: 'admitted' },
      'nc-0001': { kind: 'native', policies: ['denyenv'] },
      'nc-0003': { kind: 'not-evaluated', reason: 'invalid' },
      'nc-0004': { kind: 'not-evaluated', reason: 'kind not served' },
      'nc-0005': { kind: 'not-evaluated', reason: 'kind not served' },
    });
    expect(p.policyWarnings).to.equal(1);
    expect(p.unparsed).to.equal(1); // the BadRequest: no name, resent alone by evaluate()
  });

  it('the stream escapes what YAML refuses raw and reads back as the same strings', () => {
    const text = stream([{ a: 'x\u007fy\u0085z\ufeff' }, { b: 1 }]);
    expect(text).to.not.match(/[\u007f-\u009f\ufeff]/);
    expect(text.split('\n---\n').map((d) => JSON.parse(d))).to.deep.equal([{ a: 'x\u007fy\u0085z\ufeff' }, { b: 1 }]);
  });

  it('self-check: a policy that denies everything makes the gate report every case the judge admits, by source and id', async () => {
    const send = fakeKubectl('e2e-fixture', () => 'deny');
    const { results } = await evaluate(cases, send);
    const reported = stricterThanJudge(cases, results);
    expect(reported).to.have.length(admitted().length + cases.filter((c) => c.judged.rules.length === 0 && c.judged.warns).length);
    expect(reported.length).to.be.above(50);
    for (const c of cases.filter((x) => x.judged.rules.length === 0)) expect(reported).to.include(`${c.source} ${c.id}: denied by e2e-fixture; the judge admits it`);
    expect(send.runs).to.equal(1);
  });

  it('self-check: a policy that warns about everything is found despite kubectl printing each warning once', async () => {
    const send = fakeKubectl('e2e-fixture', () => 'warn');
    const { results, kubectlRuns } = await evaluate(cases, send);
    const reported = stricterThanJudge(cases, results);
    expect(reported).to.have.members(admitted().map((c) => `${c.source} ${c.id}: warned by an admission policy; the judge admits it without a warning`));
    expect(kubectlRuns).to.be.below(4 * cases.length);
  });

  it('one over-strict case among many is named, in a few kubectl runs', async () => {
    const victim = admitted()[7] as SentCase;
    for (const act of ['deny', 'warn'] as const) {
      const send = fakeKubectl('extguard-native-plaintext-credential', (o) => ((o['metadata'] as { name: string }).name === victim.name ? act : 'admit'));
      const { results, kubectlRuns } = await evaluate(cases, send);
      expect(stricterThanJudge(cases, results)).to.deep.equal([`${victim.source} ${victim.id}: ${act === 'deny' ? 'denied by extguard-native-plaintext-credential; the judge admits it' : 'warned by an admission policy; the judge admits it without a warning'}`]);
      expect(kubectlRuns).to.be.at.most(act === 'deny' ? 1 : 2 + 2 * Math.ceil(Math.log2(cases.length)));
    }
  });

  it('a policy that denies exactly what the judge denies passes, and scores the judge\'s recall', async () => {
    const byName = new Map(cases.map((c) => [c.name, c]));
    const send = fakeKubectl('extguard-native-plaintext-credential', (o) => ((byName.get((o['metadata'] as { name: string }).name)?.judged.rules ?? []).includes('plaintext-credential') ? 'deny' : 'admit'));
    const { results } = await evaluate(cases, send);
    expect(stricterThanJudge(cases, results)).to.deep.equal([]);
    const total = figures(cases, results).find((r) => r.source === 'total');
    expect(total?.native.recall).to.equal(total?.webhook.recall);
    expect(total?.native.fpRate).to.equal(total?.webhook.fpRate);
  });

  it('a denial for a rule the judge does not report on that object is reported, though the judge denies it too', () => {
    const c = denied().find((x) => !x.judged.rules.includes('undeclared-external-host')) as SentCase;
    const results = new Map<string, NativeResult>(cases.map((x) => [x.name, { answer: { kind: 'admitted' }, warned: false }]));
    results.set(c.name, { answer: { kind: 'native', policies: ['extguard-native-undeclared-host'] }, warned: false });
    expect(stricterThanJudge(cases, results)).to.deep.equal([`${c.source} ${c.id}: denied by extguard-native-undeclared-host; the judge reports ${c.judged.rules.join(', ')} only`]);
  });

  it('reports never repeat a value of a case', async () => {
    const { results } = await evaluate(cases, fakeKubectl('e2e-fixture', () => 'deny'));
    // Ids are ours and may spell a word a value also is (`value-word-password`): left out.
    const said = cases.reduce((text, c) => text.replaceAll(`${c.source} ${c.id}:`, ''), stricterThanJudge(cases, results).join('\n'));
    for (const s of loadSources(['adversarial', 'polaris', 'kube-linter'])) {
      for (const c of s.cases) for (const v of [...Object.values(c.env ?? {}), ...(c.command ?? []), ...(c.args ?? [])]) if (v.length >= 8) expect(said.includes(v), `${s.source} ${c.id}`).to.equal(false);
    }
  });

  it('renaming a case (name, namespace) does not change the judge\'s verdict on it', () => {
    const policy = compilePolicy(parseConfig('', 'corpus'));
    const catalog = catalogFromDocuments([]);
    const sources = loadSources(['adversarial', 'polaris', 'kube-linter']);
    const originals = sources.flatMap((s) => s.cases.map((c) => c.object ?? podOf(c, s.encoding === 'reversed')));
    expect(originals).to.have.length(cases.length);
    originals.forEach((o, i) => {
      const rules = [...new Set(judge({ operation: 'CREATE', object: o, namespace: 'corpus', dryRun: false }, catalog, policy).verdict.violations.map((v) => v.rule))].sort();
      expect(cases[i]?.judged.rules, cases[i]?.id).to.deep.equal(rules);
    });
  });

  it('native policy names map to the judge\'s rules', () => {
    expect(ruleOfPolicy('extguard-native-plaintext-credential')).to.equal('plaintext-credential');
    expect(ruleOfPolicy('extguard-native-undeclared-host')).to.equal('undeclared-external-host');
    expect(ruleOfPolicy('extguard-native-declarations-writers')).to.equal(undefined);
    expect(ruleOfPolicy('e2e-fixture')).to.equal(undefined);
  });

  it('a figure below the recorded one, or a source not recorded, is a regression', () => {
    const recorded = readRecorded();
    expect(regressions(recorded, recorded)).to.deep.equal([]);
    const worse = structuredClone(recorded);
    const row = worse.find((r) => r.source === 'manifests-kube-prometheus');
    if (row) { row.native.recall = 0.5; row.native.evaluated -= 1; }
    expect(regressions(worse, recorded)).to.deep.equal([
      'manifests-kube-prometheus: native recall 0.5 < recorded 1',
      `manifests-kube-prometheus: ${(row?.native.evaluated ?? 0)} cases evaluated by the API server, ${(row?.native.evaluated ?? 0) + 1} recorded`,
    ]);
    expect(regressions([...recorded, { ...recorded[0]!, source: 'new' }], recorded)).to.deep.equal(['new: not recorded (EXTGUARD_NATIVE_CORPUS_RECORD=1)']);
  });

  it('docs/detection.md carries the table of corpus/native-recorded.json', () => {
    const docs = readFileSync(join(root, 'docs', 'detection.md'), 'utf8');
    const section = docs.slice(docs.indexOf(TABLE_BEGIN) + TABLE_BEGIN.length, docs.indexOf(TABLE_END));
    expect(section).to.equal(`\n${renderTable(readRecorded())}`);
    expect(readRecorded().map((r) => r.source)).to.deep.equal([...loadSources().map((s) => s.source).sort(), 'total']);
  });
});
