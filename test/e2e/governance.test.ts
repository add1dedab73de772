// The bypasses of issue 9, tried through a real kube-apiserver by a tenant: an RBAC-limited
// user (impersonated with --as) who may edit workloads and Services in their namespaces, and
// label Namespaces. Only extguard stands between them and switching the policy off.
// extguard is installed from the shipped manifests (install.ts), webhook entries included.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { ControlPlane } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';
import { installSelfSigned, NAMESPACE, runInstalledPod, type InstalledPod } from './install.ts';

// Built at run time so the test source holds no credential-shaped literal.
const SECRET = ['gov', 'Plain', 'Text', '-4e1d', 'Wq'].join('');
const TENANT = ['--as=tenant-alice', '--as-group=tenants'];
const NS = 'gov-tenant';

const CONFIG = `defaultMode: enforce
governance:
  declarations:
    allowedTargets: ["*.partner-example.com"]
`;

type Obj = Record<string, unknown>;

const pod = (name: string, container: Obj): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
  spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', ...container }] },
});
const externalName = (name: string, host: string): Obj =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { type: 'ExternalName', externalName: host } });

describe('governance and closed bypasses through a real kube-apiserver, as a tenant', function () {
  let cp: ControlPlane;
  let hook: InstalledPod | undefined;
  const asTenant = (args: string[], input?: Obj) => cp.kubectl([...args, ...TENANT], input ? { input: JSON.stringify(input) } : {});
  const asAdmin = (args: string[], input?: Obj) => cp.kubectl(args, input ? { input: JSON.stringify(input) } : {});
  const modeOf = async (ns: string): Promise<string | undefined> => {
    const r = await asAdmin(['get', 'namespace', ns, '-o', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    return JSON.parse(r.stdout).metadata.labels?.['extguard.io/mode'];
  };
  /** Denied by extguard, for `rule`, without the planted credential anywhere in the answer. */
  const expectDenied = (r: { code: number | null; stdout: string; stderr: string }, rule: string): void => {
    expect(r.code, `expected a denial for ${rule}: ${r.stdout}`).to.not.equal(0);
    expect(r.stderr).to.contain('extguard denied');
    expect(r.stderr).to.contain(`[${rule}]`);
    expect(r.stdout + r.stderr).not.to.contain(SECRET);
  };

  before(async function () {
    this.timeout(180_000);
    cp = await sharedControlPlane();
    const setup: Obj[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'extguard.io/mode': 'enforce' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gov-labels', labels: { 'extguard.io/mode': 'enforce' } } },
      // The built-in `edit` role is aggregated by kube-controller-manager, which does not run
      // here, so the tenant's editing rights are spelled out.
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'gov-tenant-edit' },
        rules: [
          { apiGroups: [''], resources: ['pods', 'pods/ephemeralcontainers', 'services'], verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'] },
          { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'create', 'patch', 'update', 'delete'] },
        ] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'tenant-edit', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'gov-tenant-edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'tenant-alice' }] },
      // Enough to label and create Namespaces: RBAC would let the tenant switch the policy off.
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'gov-namespace-labeler' },
        rules: [{ apiGroups: [''], resources: ['namespaces', 'namespaces/status', 'namespaces/finalize'], verbs: ['get', 'list', 'create', 'patch', 'update'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'gov-namespace-labeler' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'gov-namespace-labeler' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'tenant-alice' }] },
    ];
    for (const o of setup) {
      const r = await asAdmin(['apply', '-f', '-'], o);
      expect(r.code, r.stderr).to.equal(0);
    }
    await installSelfSigned(cp, { config: CONFIG });
    hook = await runInstalledPod(cp);
    // The API server picks up webhook configurations asynchronously: wait until each entry judges.
    const probes: [string[], Obj | undefined][] = [
      [['create', '--dry-run=server', '-f', '-'], pod('probe', { env: [{ name: 'DB_PASSWORD', value: SECRET }] })],
      [['create', '--dry-run=server', '-f', '-'], externalName('probe', '169.254.169.254')],
      [['label', '--dry-run=server', 'namespace', 'gov-labels', 'extguard.io/mode=off', '--overwrite'], undefined],
    ];
    const deadline = Date.now() + 60_000;
    for (const [args, input] of probes) {
      for (;;) {
        const r = await asTenant(args, input);
        if (r.code !== 0 && r.stderr.includes('extguard denied')) break;
        if (Date.now() > deadline) throw new Error(`webhook never judged ${args.join(' ')}: ${r.stdout}${r.stderr}\n${hook.logs()}`);
        await new Promise((res) => setTimeout(res, 250));
      }
    }
  });

  // Like faults.test.ts: the namespace stays (no namespace controller runs here, so a deleted
  // extguard-system would stay Terminating and the next installation could not use it).
  after(async function () {
    this.timeout(60_000);
    await hook?.stop();
    await asAdmin(['delete', 'mutatingwebhookconfiguration,validatingwebhookconfiguration', 'extguard', '--ignore-not-found']);
    // The API server drops the configurations asynchronously.
    const deadline = Date.now() + 30_000;
    while ((await asAdmin(['label', '--dry-run=server', 'namespace', 'gov-labels', 'extguard.io/mode=warn', '--overwrite'])).code !== 0) {
      if (Date.now() > deadline) throw new Error('the webhook configurations were not dropped');
      await new Promise((res) => setTimeout(res, 250));
    }
  });

  describe('the mode label', () => {
    it('a tenant cannot switch a namespace off, nor to warn, nor remove the label', async () => {
      expectDenied(await asTenant(['label', 'namespace', 'gov-labels', 'extguard.io/mode=off', '--overwrite']), 'mode-change-forbidden');
      expectDenied(await asTenant(['label', 'namespace', 'gov-labels', 'extguard.io/mode=warn', '--overwrite']), 'mode-change-forbidden');
      expectDenied(await asTenant(['label', 'namespace', 'gov-labels', 'extguard.io/mode-']), 'mode-change-forbidden');
      expect(await modeOf('gov-labels')).to.equal('enforce');
    });

    it('nor through the namespaces/status and namespaces/finalize subresources, which keep label changes', async () => {
      for (const sub of ['status', 'finalize']) {
        const ns = JSON.parse((await asAdmin(['get', 'namespace', 'gov-labels', '-o', 'json'])).stdout);
        ns.metadata.labels['extguard.io/mode'] = 'off';
        expectDenied(await asTenant(['replace', '--raw', `/api/v1/namespaces/gov-labels/${sub}`, '-f', '-'], ns), 'mode-change-forbidden');
      }
      expect(await modeOf('gov-labels')).to.equal('enforce');
    });

    it('a tenant cannot create a namespace that is already off, but can create one without the label', async () => {
      expectDenied(await asTenant(['create', '-f', '-'], { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gov-escape', labels: { 'extguard.io/mode': 'off' } } }), 'mode-change-forbidden');
      const r = await asTenant(['create', '-f', '-'], { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gov-plain', labels: { team: 'a' } } });
      expect(r.code, r.stderr).to.equal(0);
    });

    it('a tenant can still change the other labels of the namespace', async () => {
      const r = await asTenant(['label', 'namespace', 'gov-labels', 'team=payments', '--overwrite']);
      expect(r.code, r.stderr).to.equal(0);
      expect(await modeOf('gov-labels')).to.equal('enforce');
    });

    it('an admin (system:masters) can set and remove it', async () => {
      let r = await asAdmin(['label', 'namespace', 'gov-labels', 'extguard.io/mode=off', '--overwrite']);
      expect(r.code, r.stderr).to.equal(0);
      expect(await modeOf('gov-labels')).to.equal('off');
      // Once off, the label is still guarded: the workloads' "skip off" selector does not apply to Namespaces.
      expectDenied(await asTenant(['label', 'namespace', 'gov-labels', 'extguard.io/mode-']), 'mode-change-forbidden');
      r = await asAdmin(['label', 'namespace', 'gov-labels', 'extguard.io/mode-']);
      expect(r.code, r.stderr).to.equal(0);
      expect(await modeOf('gov-labels')).to.equal(undefined);
    });
  });

  describe('declarations', () => {
    it('no one may declare the metadata address or the API server', async () => {
      expectDenied(await asTenant(['create', '-f', '-'], externalName('metadata', '169.254.169.254')), 'invalid-declaration');
      expectDenied(await asTenant(['create', '-f', '-'], externalName('apiserver', 'kubernetes.default.svc.cluster.local')), 'invalid-declaration');
      expectDenied(await asAdmin(['create', '-f', '-'], externalName('apiserver', 'kubernetes.default.svc.cluster.local')), 'invalid-declaration');
    });

    it('a tenant may declare an allowed target, not another one; an admin may', async () => {
      expectDenied(await asTenant(['create', '-f', '-'], externalName('other', 'api.other-example.com')), 'undeclarable-host');
      let r = await asTenant(['create', '-f', '-'], externalName('partner', 'api.partner-example.com'));
      expect(r.code, r.stderr).to.equal(0);
      // Retargeting an allowed declaration is a new declaration.
      expectDenied(await asTenant(['patch', 'service', 'partner', '-n', NS, '--type=merge', '-p', '{"spec":{"externalName":"api.other-example.com"}}']), 'undeclarable-host');
      r = await asAdmin(['create', '-f', '-'], externalName('other', 'api.other-example.com'));
      expect(r.code, r.stderr).to.equal(0);
      // Updating a declaration without changing its target is never blocked.
      r = await asTenant(['label', 'service', 'other', '-n', NS, 'team=payments']);
      expect(r.code, r.stderr).to.equal(0);
    });

    it('a tenant\'s ordinary Services are not affected', async () => {
      const r = await asTenant(['create', '-f', '-'], { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { ports: [{ port: 80 }], selector: { app: 'web' } } });
      expect(r.code, r.stderr).to.equal(0);
    });
  });

  describe('container texts', () => {
    it('an ephemeral container with a credential is denied, a clean one is added (kubectl debug)', async () => {
      const r0 = await asAdmin(['create', '-f', '-'], pod('debug-me', {}));
      expect(r0.code, r0.stderr).to.equal(0);
      expectDenied(await asAdmin(['debug', 'debug-me', '-n', NS, '--image=busybox', '--container=leaky', `--env=DB_PASSWORD=${SECRET}`]), 'plaintext-credential');
      const r = await asAdmin(['debug', 'debug-me', '-n', NS, '--image=busybox', '--container=clean', '--env=LOG_LEVEL=debug']);
      expect(r.code, r.stderr).to.equal(0);
      const stored = JSON.parse((await asAdmin(['get', 'pod', 'debug-me', '-n', NS, '-o', 'json'])).stdout);
      expect(stored.spec.ephemeralContainers.map((c: Obj) => c['name'])).to.deep.equal(['clean']);
    });

    it('a password in a probe exec command is denied', async () => {
      const r = await asTenant(['create', '-f', '-'], pod('probe-leak', { livenessProbe: { exec: { command: ['redis-cli', '-a', SECRET, 'ping'] } } }));
      expectDenied(r, 'plaintext-credential');
      expect(r.stderr).to.contain('spec.containers[0].livenessProbe.exec.command[2]');
    });

    it('the $(EMPTY) trick is denied; a reference to a secretKeyRef variable is admitted', async () => {
      const deployment = (name: string, env: Obj[]): Obj => ({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS },
        spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', env }] } } },
      });
      const r = await asTenant(['create', '-f', '-'], deployment('empty-trick', [{ name: 'EMPTY', value: '' }, { name: 'DB_PASSWORD', value: `$(EMPTY)${SECRET}` }]));
      expectDenied(r, 'plaintext-credential');
      expect(r.stderr).to.contain('spec.template.spec.containers[0].env[1].value');
      const ok = await asTenant(['create', '-f', '-'], deployment('by-reference', [
        { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
        { name: 'DB_PASSWORD', value: '$(FROM_SECRET)' },
      ]));
      expect(ok.code, ok.stderr).to.equal(0);
    });

    it('a credential read from a ConfigMap is denied, with the fix', async () => {
      const r = await asTenant(['create', '-f', '-'], pod('from-configmap', { env: [{ name: 'DB_PASSWORD', valueFrom: { configMapKeyRef: { name: 'app', key: 'db-password' } } }] }));
      expectDenied(r, 'plaintext-credential');
      expect(r.stderr).to.match(/ConfigMap.*move it into a Secret/);
    });
  });

  // Each test below gets namespaces of its own (deleted ones stay Terminating here), carrying
  // the planted credential in an annotation: a denial that echoed the object would show it.
  describe('in fresh namespaces, with a credential planted in every object judged', () => {
    let fresh = 0;
    const PLANTED = { 'e2e.extguard.io/note': SECRET };
    const tenantNamespace = async (labels: Record<string, string> = { 'extguard.io/mode': 'enforce' }): Promise<string> => {
      const name = `gov-fresh-${++fresh}`;
      for (const o of [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations: PLANTED } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'tenant-edit', namespace: name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'gov-tenant-edit' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'tenant-alice' }] },
      ]) {
        const r = await asAdmin(['create', '-f', '-'], o);
        expect(r.code, r.stderr).to.equal(0);
      }
      return name;
    };
    const service = (namespace: string, name: string, spec: Obj): Obj =>
      ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, annotations: PLANTED }, spec });

    it('a denied mode change names the requester and the change, and echoes nothing else of the Namespace', async () => {
      const ns = await tenantNamespace();
      const r = await asTenant(['label', 'namespace', ns, 'extguard.io/mode=audit', '--overwrite']);
      expectDenied(r, 'mode-change-forbidden');
      expect(r.stderr).to.contain('user "tenant-alice"').and.contain('changes extguard.io/mode from "enforce" to "audit"');
      // A whole Namespace, planted annotation included, as kubectl replace sends it. (Not apply:
      // a failed apply prints the patch it sent, annotation and all, whatever the webhook says.)
      const manifest = JSON.parse((await asAdmin(['get', 'namespace', ns, '-o', 'json'])).stdout);
      manifest.metadata.labels['extguard.io/mode'] = 'off';
      expectDenied(await asTenant(['replace', '-f', '-'], manifest), 'mode-change-forbidden');
      expect(await modeOf(ns)).to.equal('enforce');
    });

    it('a tenant cannot change the label of a namespace that is off either, nor lift it to enforce', async () => {
      const ns = await tenantNamespace({ 'extguard.io/mode': 'off' });
      expectDenied(await asTenant(['label', 'namespace', ns, 'extguard.io/mode=warn', '--overwrite']), 'mode-change-forbidden');
      expectDenied(await asTenant(['label', 'namespace', ns, 'extguard.io/mode=enforce', '--overwrite']), 'mode-change-forbidden');
      expect(await modeOf(ns)).to.equal('off');
    });

    it('a declaration ending in a dot is the same name: still refused', async () => {
      const ns = await tenantNamespace();
      const ext = (name: string, host: string) => service(ns, name, { type: 'ExternalName', externalName: host });
      expectDenied(await asTenant(['create', '-f', '-'], ext('apiserver', 'kubernetes.default.svc.cluster.local.')), 'invalid-declaration');
      expectDenied(await asTenant(['create', '-f', '-'], ext('other', 'api.other-example.com.')), 'undeclarable-host');
      const r = await asTenant(['create', '-f', '-'], ext('partner', 'api.partner-example.com.'));
      expect(r.code, r.stderr).to.equal(0);
    });

    it('a ClusterIP Service turned into an ExternalName one is judged (the condition reads the new object)', async () => {
      const ns = await tenantNamespace();
      let r = await asTenant(['create', '-f', '-'], service(ns, 'db', { ports: [{ port: 5432 }], selector: { app: 'db' } }));
      expect(r.code, r.stderr).to.equal(0);
      const turn = (host: string) => asTenant(['patch', 'service', 'db', '-n', ns, '--type=merge', '-p',
        JSON.stringify({ spec: { type: 'ExternalName', externalName: host, clusterIP: null, clusterIPs: null, selector: null } })]);
      expectDenied(await turn('169.254.169.254'), 'invalid-declaration');
      expectDenied(await turn('api.other-example.com'), 'undeclarable-host');
      const svc = JSON.parse((await asAdmin(['get', 'service', 'db', '-n', ns, '-o', 'json'])).stdout);
      expect(svc.spec.type).to.equal('ClusterIP');
      r = await turn('db.partner-example.com');
      expect(r.code, r.stderr).to.equal(0);
    });

    it('ephemeral containers added by the tenant through pods/ephemeralcontainers: each new one is judged', async () => {
      const ns = await tenantNamespace();
      let r = await asTenant(['create', '-f', '-'], { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'app', namespace: ns, annotations: PLANTED },
        spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] } });
      expect(r.code, r.stderr).to.equal(0);
      const add = (container: Obj) => asTenant(['patch', 'pod', 'app', '-n', ns, '--subresource=ephemeralcontainers', '--type=strategic', '-p',
        JSON.stringify({ spec: { ephemeralContainers: [{ image: 'busybox:1.36', ...container }] } })]);
      r = await add({ name: 'leaky', env: [{ name: 'DB_PASSWORD', value: SECRET }] });
      expectDenied(r, 'plaintext-credential');
      expect(r.stderr).to.contain('container "leaky"').and.contain('spec.ephemeralContainers[0].env[0].value');
      r = await add({ name: 'clean', env: [{ name: 'LOG_LEVEL', value: 'debug' }] });
      expect(r.code, r.stderr).to.equal(0);
      // The clean one is stored; a JSON patch appends a leaky one after it (a strategic merge
      // patch would put the new one first), and only that one is judged, at its own index.
      r = await asTenant(['patch', 'pod', 'app', '-n', ns, '--subresource=ephemeralcontainers', '--type=json', '-p',
        JSON.stringify([{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'late', image: 'busybox:1.36', command: ['redis-cli', '-a', SECRET, 'ping'] } }])]);
      expectDenied(r, 'plaintext-credential');
      expect(r.stderr).to.contain('container "late"').and.contain('spec.ephemeralContainers[1].command[2]').and.not.contain('container "clean"');
      // kubectl debug goes the same way.
      expectDenied(await asTenant(['debug', 'app', '-n', ns, '--image=busybox:1.36', '--container=debugger', `--env=API_TOKEN=${SECRET}`]), 'plaintext-credential');
      const stored = JSON.parse((await asAdmin(['get', 'pod', 'app', '-n', ns, '-o', 'json'])).stdout);
      expect(stored.spec.ephemeralContainers.map((c: Obj) => c['name'])).to.deep.equal(['clean']);
    });

    it('no planted credential reached the webhook logs or the API server audit log', () => {
      expect(hook!.logs()).to.contain('mode-change-forbidden');
      expect(hook!.logs()).not.to.contain(SECRET);
      expect(readFileSync(cp.auditLogPath, 'utf8')).not.to.contain(SECRET);
    });
  });
  // docs/contract.md "Who may change the mode on your cluster": the README's rollout (warn,
  // enforce, the emergency `off` and back) as a cluster administrator carries themselves on
  // kubeadm (admin.conf: group kubeadm:cluster-admins) and on EKS (an access entry with
  // AmazonEKSClusterAdminPolicy carries no admin group; the docs give the entry a Kubernetes
  // group, here eks-cluster-admins, and name it in modeAdmins). Both are cluster-admin by RBAC.
  describe('who may change the mode: kubeadm and EKS administrators (docs/contract.md)', () => {
    const EKS_USER = 'arn:aws:sts::111122223333:assumed-role/platform-admin/jane';
    const KUBEADM_ADMIN = ['--as=kubernetes-admin', '--as-group=kubeadm:cluster-admins'];
    const EKS_ADMIN = [`--as=${EKS_USER}`, '--as-group=eks-cluster-admins'];
    const EKS_CONFIG = `${CONFIG}  modeAdmins:
    groups: [system:masters, kubeadm:cluster-admins, eks-cluster-admins]
`;
    const label = (who: string[], ns: string, mode: string, ...flags: string[]) =>
      cp.kubectl(['label', 'namespace', ns, `extguard.io/mode=${mode}`, '--overwrite', ...flags, ...who]);
    const setConfig = async (config: string) => {
      const r = await asAdmin(['patch', 'configmap', 'extguard-config', '-n', NAMESPACE, '--type', 'merge', '-p', JSON.stringify({ data: { 'config.yaml': config } })]);
      expect(r.code, r.stderr).to.equal(0);
      await hook!.syncVolumes();
    };
    /** Retries `attempt` until `done` says so: the API server and the config watch apply changes asynchronously. */
    const until = async (what: string, attempt: () => Promise<{ code: number | null; stdout: string; stderr: string }>, done: (r: { code: number | null; stderr: string }) => boolean) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const r = await attempt();
        if (done(r)) return r;
        if (Date.now() > deadline) throw new Error(`${what}: ${r.stdout}${r.stderr}\n${hook?.logs() ?? '(extguard stopped)'}`);
        await new Promise((res) => setTimeout(res, 250));
      }
    };
    /** The README's rollout on a namespace, each step stored as asked. */
    const rollout = async (who: string[], ns: string) => {
      for (const mode of ['warn', 'enforce', 'off', 'enforce']) {
        const r = await label(who, ns, mode);
        expect(r.code, `${mode}: ${r.stderr}`).to.equal(0);
        expect(await modeOf(ns)).to.equal(mode);
      }
    };

    before(async function () {
      this.timeout(60_000);
      const objs: Obj[] = [
        ...['kubeadm:cluster-admins', 'eks-cluster-admins'].map((group) => ({
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `gov-${group.replace(':', '-')}` },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
        })),
        ...['gov-rollout-kubeadm', 'gov-rollout-eks', 'gov-rollout-down'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
      ];
      for (const o of objs) {
        const r = await asAdmin(['apply', '-f', '-'], o);
        expect(r.code, r.stderr).to.equal(0);
      }
    });
    after(async function () {
      this.timeout(30_000);
      await setConfig(CONFIG);
    });

    it('a kubeadm administrator (admin.conf, kubeadm:cluster-admins) runs the rollout with the defaults', async function () {
      this.timeout(30_000);
      await rollout(KUBEADM_ADMIN, 'gov-rollout-kubeadm');
    });

    it('an EKS administrator is denied with the defaults, told its user name and groups and the setting', async function () {
      this.timeout(30_000);
      const r = await label(EKS_ADMIN, 'gov-rollout-eks', 'warn');
      expectDenied(r, 'mode-change-forbidden');
      expect(r.stderr).to.contain(`user "${EKS_USER}" (groups "eks-cluster-admins")`)
        .and.contain('governance.modeAdmins').and.contain('docs/contract.md#who-may-change-the-mode-on-your-cluster')
        .and.not.contain('system:authenticated');
      expect(await modeOf('gov-rollout-eks')).to.equal(undefined);
    });

    it('once modeAdmins names its group (hot reload), the EKS administrator runs the rollout; a tenant stays denied', async function () {
      this.timeout(60_000);
      await setConfig(EKS_CONFIG);
      await until('the EKS administrator was never admitted after the reload', () => label(EKS_ADMIN, 'gov-rollout-eks', 'warn', '--dry-run=server'), (r) => r.code === 0);
      await rollout(EKS_ADMIN, 'gov-rollout-eks');
      const tenant = await asTenant(['label', 'namespace', 'gov-rollout-eks', 'extguard.io/mode=off', '--overwrite']);
      expectDenied(tenant, 'mode-change-forbidden');
      expect(tenant.stderr).to.contain('user "tenant-alice" (groups "tenants")');
      expect(await modeOf('gov-rollout-eks')).to.equal('enforce');
    });

    // The safe bypass while extguard is down and the webhooks still fail closed (README,
    // Troubleshooting; a crash, a lost node or a partition, not a graceful stop): the API server never
    // sends modeAdmins' requests, by the not-mode-admin matchCondition. The kustomize manifests
    // hold the defaults, so an EKS administrator needs the docs' patch of that condition too.
    it('with extguard crashed: the emergency off works for the kubeadm administrator, and for the EKS one once the condition is patched as documented', async function () {
      this.timeout(90_000);
      const webhooks = JSON.parse((await asAdmin(['get', 'validatingwebhookconfiguration', 'extguard', '-o', 'json'])).stdout);
      const expression = webhooks.webhooks.find((w: Obj) => w['name'] === 'namespaces.extguard.io').matchConditions[0].expression as string;
      const condition = (groups: string[]) => `!(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ${JSON.stringify(groups)}))`;
      // The docs' kustomize patch: a JSON patch whose tests fail loudly should the list move.
      const setCondition = (groups: string[]) => asAdmin(['patch', 'validatingwebhookconfiguration', 'extguard', '--type=json', '-p', JSON.stringify([
        { op: 'test', path: '/webhooks/3/name', value: 'namespaces.extguard.io' },
        { op: 'test', path: '/webhooks/3/matchConditions/0/name', value: 'not-mode-admin' },
        { op: 'replace', path: '/webhooks/3/matchConditions/0/expression', value: condition(groups) },
      ])]);
      expect(expression, 'the shipped condition is the documented one').to.equal(condition(['system:masters', 'kubeadm:cluster-admins']));
      try {
        // A crash (SIGKILL): a graceful stop of the last Ready replica would hand the webhooks
        // back to Ignore, and nothing would fail closed to bypass.
        hook!.child.kill('SIGKILL');
        await hook!.stop();
        hook = undefined;
        const unreachable = (x: { code: number | null; stderr: string }) => x.code !== 0 && x.stderr.includes('failed calling webhook');
        await until('extguard never became unreachable', () => asTenant(['label', 'namespace', 'gov-rollout-down', 'extguard.io/mode=off', '--overwrite', '--dry-run=server']), unreachable);

        let r = await label(KUBEADM_ADMIN, 'gov-rollout-down', 'off');
        expect(r.code, r.stderr).to.equal(0);
        expect(await modeOf('gov-rollout-down')).to.equal('off');
        // Allowed by extguard's configuration, but sent to it: nobody answers, and the request fails closed.
        expect(unreachable(await label(EKS_ADMIN, 'gov-rollout-down', 'enforce')), 'the EKS administrator is sent to the unreachable webhook').to.equal(true);

        r = await setCondition(['system:masters', 'kubeadm:cluster-admins', 'eks-cluster-admins']);
        expect(r.code, r.stderr).to.equal(0);
        const patched = JSON.parse((await asAdmin(['get', 'validatingwebhookconfiguration', 'extguard', '-o', 'json'])).stdout);
        expect(patched.webhooks[3].matchConditions.map((c: Obj) => c['name']), 'only the expression changed').to.deep.equal(['not-mode-admin', 'mode-label-changes']);
        await until('the patched condition never applied', () => label(EKS_ADMIN, 'gov-rollout-down', 'enforce', '--dry-run=server'), (x) => x.code === 0);
        r = await label(EKS_ADMIN, 'gov-rollout-down', 'enforce');
        expect(r.code, r.stderr).to.equal(0);
        expect(await modeOf('gov-rollout-down')).to.equal('enforce');
        expect(unreachable(await asTenant(['label', 'namespace', 'gov-rollout-down', 'extguard.io/mode=off', '--overwrite'])), 'a tenant still fails closed').to.equal(true);
      } finally {
        hook ??= await runInstalledPod(cp);
        await setCondition(['system:masters', 'kubeadm:cluster-admins']);
        await until('extguard never judged again', () => asTenant(['label', 'namespace', 'gov-labels', 'extguard.io/mode=off', '--overwrite', '--dry-run=server']), (x) => x.stderr.includes('extguard denied'));
      }
    });
  });
});
