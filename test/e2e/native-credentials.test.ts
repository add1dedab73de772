// The native plaintext-credential policy, enforced by a real kube-apiserver with NO webhook
// installed: what users keep while extguard is down (or its entries are Ignore). The objects
// are applied as `extguard policies` prints them; then workloads are sent with
// `kubectl create --dry-run=server`, which runs every admission policy.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/config.ts';
import { DEFAULT_TARGET, type KubeObject } from '../../src/native/common.ts';
import fc from 'fast-check';
import { CREDENTIAL_POLICY, credentialPolicies, model, NATIVE_FORMAT_SOURCES } from '../../src/native/credentials.ts';
import type { ControlPlane, KubectlResult } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';

// Built at run time so the test source holds no credential-shaped literal.
const SECRET = ['nat', 'Cred', '7', 'q2'].join('');
const NS = { enforce: 'e2e-native-cred-enforce', warn: 'e2e-native-cred-warn', audit: 'e2e-native-cred-audit', unlabelled: 'e2e-native-cred-default', cost: 'e2e-native-cred-cost' };
/** A copy of the policy that fails closed, bound to NS.cost alone: where the API server's cost limit shows. */
const COST_POLICY = 'e2e-native-cred-cost-probe';

type Obj = Record<string, unknown>;
type Env = Obj[];
const container = (env: Env): Obj => ({ name: 'app', image: 'registry.example.com/app:1.0', env });
const podSpec = (env: Env): Obj => ({ containers: [container(env)] });
const meta = (kind: string, ns: string): Obj => ({ name: `${kind.toLowerCase()}-x`, namespace: ns });
const KINDS: Record<string, (ns: string, env: Env) => Obj> = {
  Pod: (ns, env) => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta('Pod', ns), spec: podSpec(env) }),
  Deployment: (ns, env) => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('Deployment', ns),
    spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec(env) } },
  }),
  CronJob: (ns, env) => ({
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('CronJob', ns),
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...podSpec(env), restartPolicy: 'Never' } } } } },
  }),
};
const literal: Env = [{ name: 'DB_PASSWORD', value: SECRET }];
const fromSecret: Env = [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }];

describe('native plaintext-credential policy through a real kube-apiserver, no webhook', function () {
  let cp: ControlPlane;
  const kubectl = (args: string[], input?: unknown): Promise<KubectlResult> => cp.kubectl(args, input === undefined ? {} : { input: JSON.stringify(input) });
  const dryRun = (obj: Obj): Promise<KubectlResult> => kubectl(['create', '--dry-run=server', '-f', '-'], obj);
  const applyList = (items: KubeObject[]): Promise<KubectlResult> => kubectl(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'List', items });
  const objects = credentialPolicies(parseConfig('', 'e2e'), DEFAULT_TARGET);

  /** A copy of the policy with failurePolicy Fail and one Deny binding on NS.cost. */
  const costProbe = (): KubeObject[] => {
    const vap = structuredClone(objects[0]!) as any;
    vap.metadata.name = COST_POLICY;
    vap.spec.failurePolicy = 'Fail';
    return [vap, {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: COST_POLICY },
      spec: { policyName: COST_POLICY, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS.cost } } } },
    }];
  };

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    const namespaces = [
      { name: NS.enforce, mode: 'enforce' }, { name: NS.warn, mode: 'warn' }, { name: NS.audit, mode: 'audit' },
      { name: NS.unlabelled }, { name: NS.cost, mode: 'audit' },
    ].map(({ name, mode }) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(mode ? { labels: { 'extguard.io/mode': mode } } : {}) } }));
    const ns = await applyList(namespaces as KubeObject[]);
    expect(ns.code, ns.stderr.slice(0, 2000)).to.equal(0);
    // The compile check: the API server accepts every object as generated.
    const applied = await applyList([...objects, ...costProbe()]);
    expect(applied.code, applied.stderr.slice(0, 3000)).to.equal(0);
    // Policies take effect once the API server's informer has them: wait for the first denial.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await dryRun(KINDS['Pod']!(NS.enforce, literal));
      if (r.code !== 0) break;
      if (Date.now() > deadline) throw new Error('the native policy never took effect');
      await new Promise((res) => setTimeout(res, 500));
    }
  });

  after(async function () {
    this.timeout(60_000);
    if (!cp) return;
    const names = [...objects, ...costProbe()].map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);
    await kubectl(['delete', '--ignore-not-found', '--wait=false', ...names]);
    await kubectl(['delete', 'namespace', '--ignore-not-found', '--wait=false', ...Object.values(NS)]);
  });

  it('the policy type-checks against the workload schemas: status.typeChecking empty', async function () {
    this.timeout(120_000);
    // status.typeChecking is written by kube-controller-manager's ValidatingAdmissionPolicy
    // status controller, which this control plane does not run: test/e2e/run.js builds it alone
    // (cmd/vap-status) into the e2e bin dir before any test file.
    const bin = join(cp.binDir, 'vap-status');
    expect(existsSync(bin), `${bin} (test/e2e/controlplane/build-vap-status.sh)`).to.equal(true);
    const controller = spawn(bin, ['--kubeconfig', cp.kubeconfigPath], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 90_000;
      let status: any;
      for (;;) {
        const r = await kubectl(['get', 'validatingadmissionpolicy', CREDENTIAL_POLICY, '-o', 'json']);
        expect(r.code, r.stderr).to.equal(0);
        status = JSON.parse(r.stdout).status;
        if (status?.typeChecking !== undefined || Date.now() > deadline) break;
        await new Promise((res) => setTimeout(res, 500));
      }
      expect(status?.typeChecking, 'status.typeChecking was never written').to.not.equal(undefined);
      expect(status.typeChecking.expressionWarnings ?? []).to.deep.equal([]);
    } finally {
      controller.kill('SIGTERM');
    }
  });

  for (const kind of Object.keys(KINDS)) {
    it(`${kind} with a literal DB_PASSWORD: denied in enforce and unlabelled namespaces, naming container and variable, never the value`, async function () {
      this.timeout(30_000);
      for (const ns of [NS.enforce, NS.unlabelled]) {
        const r = await dryRun(KINDS[kind]!(ns, literal));
        expect(r.code, r.stdout).to.not.equal(0);
        expect(r.stderr).to.contain(`ValidatingAdmissionPolicy '${CREDENTIAL_POLICY}'`);
        expect(r.stderr).to.contain('[plaintext-credential] container app: env DB_PASSWORD (value)');
        expect(r.stderr).to.contain('extguard check');
        expect(r.stdout + r.stderr).not.to.contain(SECRET);
      }
    });

    it(`${kind}: warned in a warn namespace, admitted silently in audit, the secretKeyRef form admitted everywhere`, async function () {
      this.timeout(30_000);
      const warned = await dryRun(KINDS[kind]!(NS.warn, literal));
      expect(warned.code, warned.stderr).to.equal(0);
      expect(warned.stderr).to.match(/Warning: .*\[plaintext-credential\] container app: env DB_PASSWORD/);
      expect(warned.stderr).not.to.contain(SECRET);
      const audited = await dryRun(KINDS[kind]!(NS.audit, literal));
      expect(audited.code, audited.stderr).to.equal(0);
      expect(audited.stderr).not.to.contain('plaintext-credential');
      for (const ns of [NS.enforce, NS.warn, NS.audit, NS.unlabelled]) {
        const r = await dryRun(KINDS[kind]!(ns, fromSecret));
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).not.to.contain('plaintext-credential');
      }
    });
  }

  it('a ConfigMap-read credential and a URL password are denied; what the judge admits is admitted', async function () {
    this.timeout(30_000);
    const denied: Array<[Env, string]> = [
      [[{ name: 'API_TOKEN', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'token' } } }], 'env API_TOKEN (valueFrom.configMapKeyRef)'],
      [[{ name: 'DATABASE_URL', value: `postgres://app:${SECRET}@db.example.com:5432/shop` }], 'env DATABASE_URL (value)'],
    ];
    for (const [env, shown] of denied) {
      const r = await dryRun(KINDS['Pod']!(NS.enforce, env));
      expect(r.code, r.stdout).to.not.equal(0);
      expect(r.stderr).to.contain(shown);
      expect(r.stderr).not.to.contain(SECRET);
    }
    // Each admitted by the webhook too: a setting's name, a duration (the judge's regex is
    // case-insensitive: RE2's `(?i:…)` must say the same), a reference, a self-named template.
    for (const env of [
      [{ name: 'MIN_PASSWORD_LENGTH', value: SECRET }],
      [{ name: 'DB_PASSWORD', value: '1234567H' }],
      [{ name: 'DB_PASSWORD', value: '$(OTHER)' }],
      [{ name: 'DB_PASSWORD', value: 'db-password1' }],
      [{ name: 'DATABASE_URL', value: 'postgres://app@db.example.com:5432/shop' }],
    ]) {
      const r = await dryRun(KINDS['Pod']!(NS.enforce, env));
      expect(r.code, `${JSON.stringify(env)}: ${r.stderr}`).to.equal(0);
    }
  });

  it("token formats and long literals: the API server decides every sampled token, long literal and placeholder variant as the model does (the model the unit tests hold the judge to)", async function () {
    this.timeout(180_000);
    const overwrite = (t: string, at: number, text: string): string => t.slice(0, at) + text + t.slice(at + text.length);
    const cases: string[] = [];
    for (const { source } of NATIVE_FORMAT_SOURCES) {
      const token = fc.sample(fc.stringMatching(new RegExp(`^${source}$`)), { numRuns: 1, seed: 11 })[0]!;
      cases.push(token);
      for (const f of ['xxxxx', 'bbbbbbbb', '01234567', 'Example', 'ababababababab', 'abcdabcdabcdabcd', 'aabbaabbaabbaabbaa']) {
        if (token.length - f.length >= 4) cases.push(overwrite(token, token.length - f.length, f));
      }
    }
    // Long literals under a credential's name: random runs and filler shapes, 16 to 64 characters.
    const parts = fc.array(fc.oneof(fc.constantFrom('abababab', 'abcabcabc', '12345678', 'qqqqqqqq', 'a1a1a1a1', 'Random', 'abcdabcd'), fc.stringMatching(/^[A-Za-z0-9_+-]{1,9}$/)), { minLength: 3, maxLength: 10 });
    const longLiterals = fc.sample(parts, { numRuns: 120, seed: 13 }).map((a) => a.join('')).filter((v) => v.length >= 16 && v.length <= 64);
    const mismatches: string[] = [];
    let denied = 0;
    let longDenied = 0;
    for (let i = 0; i < longLiterals.length; i += 60) {
      const chunk = longLiterals.slice(i, i + 60);
      const items = chunk.map((value, k) => ({ ...KINDS['Pod']!(NS.enforce, [{ name: 'DB_PASSWORD', value }]), metadata: { name: `long-${i + k}`, namespace: NS.enforce } }));
      const r = await kubectl(['create', '--dry-run=server', '-f', '-'], { apiVersion: 'v1', kind: 'List', items });
      chunk.forEach((value, k) => {
        const line = r.stderr.split('\n').find((l) => l.includes(`"long-${i + k}"`));
        if (line !== undefined) longDenied++;
        if ((line !== undefined) !== model.literalUnderName('DB_PASSWORD', value)) mismatches.push(`long literal ${i + k}: api ${line !== undefined ? 'denies' : 'admits'}`);
      });
    }
    // One kubectl per 60 cases: the API server admits or refuses each Pod of a List on its own.
    for (let i = 0; i < cases.length; i += 60) {
      const chunk = cases.slice(i, i + 60);
      const items = chunk.map((value, k) => ({ ...KINDS['Pod']!(NS.enforce, [{ name: 'SETTING', value }]), metadata: { name: `tok-${i + k}`, namespace: NS.enforce } }));
      const r = await kubectl(['create', '--dry-run=server', '-f', '-'], { apiVersion: 'v1', kind: 'List', items });
      chunk.forEach((value, k) => {
        const line = r.stderr.split('\n').find((l) => l.includes(`"tok-${i + k}"`));
        const byApi = line !== undefined;
        if (byApi) denied++;
        // Never the value in the message; the case by its index only.
        if (byApi && (!line.includes("a token in a known issuer's format") || line.includes(value))) mismatches.push(`case ${i + k}: message`);
        if (byApi !== model.tokenFormat(value)) mismatches.push(`case ${i + k}: api ${byApi ? 'denies' : 'admits'}`);
      });
    }
    expect(mismatches).to.deep.equal([]);
    expect(denied).to.be.greaterThan(NATIVE_FORMAT_SOURCES.length / 2);
    expect(longDenied).to.be.greaterThan(10);
    expect(longDenied).to.be.lessThan(longLiterals.length);
  });

  it('cost: measured where the API server gives up, and past it the policy admits (failurePolicy Ignore)', async function () {
    this.timeout(300_000);
    /** Largest n for which `make(n)` is judged within the cost limit by the fail-closed copy (exponential then binary search). */
    const limit = async (make: (n: number) => Obj, start: number, max: number): Promise<{ n: number; error: string }> => {
      const refused = async (n: number): Promise<string | undefined> => {
        const r = await dryRun(make(n));
        if (r.code === 0) return undefined;
        expect(r.stderr, `n=${n}`).to.match(/cost|budget/i);
        return r.stderr;
      };
      let lo = 0;
      let hi = start;
      let error = '';
      while (hi <= max) {
        const e = await refused(hi);
        if (e) { error = e; break; }
        lo = hi;
        hi *= 2;
      }
      if (hi > max) return { n: lo, error: '' };
      while (hi - lo > Math.max(1, Math.floor(lo / 50))) {
        const mid = Math.floor((lo + hi) / 2);
        const e = await refused(mid);
        if (e) { hi = mid; error = e; } else lo = mid;
      }
      return { n: lo, error };
    };
    const benign = (n: number): Env => Array.from({ length: n }, (_, i) => ({ name: `SETTING_${i}`, value: `v${i}` }));
    // Names and values that pass every condition but the last, so each entry costs the most.
    const worst = (n: number): Env => Array.from({ length: n }, (_, i) => ({ name: `APP_${i}_PASSWORD`, value: `pw-${i}-key` }));
    const envs = await limit((n) => KINDS['Pod']!(NS.cost, benign(n)), 256, 32_768);
    const worstEnvs = await limit((n) => KINDS['Pod']!(NS.cost, worst(n)), 256, 32_768);
    // A token whose only flaw is a repeated tail: every check runs, the last window decides.
    const { source } = NATIVE_FORMAT_SOURCES.find((f) => f.what === 'Groq API key')!;
    const base = fc.sample(fc.stringMatching(new RegExp(`^${source}$`)), { numRuns: 1, seed: 5 })[0]!;
    const tail = base.slice(0, base.length - 16) + 'ab'.repeat(8);
    const tokens = await limit((n) => KINDS['Pod']!(NS.cost, Array.from({ length: n }, (_, i) => ({ name: `T_${i}`, value: tail }))), 16, 32_768);
    const valueSize = await limit((n) => KINDS['Pod']!(NS.cost, [{ name: 'DATABASE_URL', value: `postgres://app:${'a'.repeat(n)}` }]), 4096, 1_048_576);
    console.log(`      cost limit: ${envs.n} env entries (SETTING_i=vi), ${worstEnvs.n} (APP_i_PASSWORD=pw-i-key), one value of ${valueSize.n} characters, ${tokens.n} token-format values read to their last window`);
    console.log(`      refusal: ${(envs.error || worstEnvs.error).split('\n')[0]}`);
    expect(envs.n).to.be.greaterThan(500);
    // Past the limit the real policy (failurePolicy Ignore) admits: the webhook judges such an object.
    const past = await dryRun(KINDS['Pod']!(NS.enforce, [...worst(worstEnvs.n * 2), ...literal]));
    expect(past.code, past.stderr).to.equal(0);
  });
});
