// The native governance policies (src/native/governance.ts), enforced by a real kube-apiserver
// with NO webhook installed: a tenant cannot switch its namespace off, nor declare a target
// outside governance.declarations.allowedTargets, while extguard is down.

import { expect } from 'chai';
import { parseConfig } from '../../src/config/config.ts';
import { DEFAULT_TARGET, type KubeObject } from '../../src/native/common.ts';
import { DECLARATION_POLICY, governancePolicies, MODE_POLICY } from '../../src/native/governance.ts';
import type { ControlPlane, KubectlResult } from './cluster.ts';
import { sharedControlPlane } from './hooks.ts';

const NS = 'e2e-native-gov';
const TENANT = ['--as=native-gov-tenant', '--as-group=system:authenticated'];
const CONFIG = parseConfig('defaultMode: enforce\ngovernance:\n  declarations:\n    allowedTargets: ["*.partner.example.com", "db.example.org"]\n', 'e2e');

describe('native governance policies through a real kube-apiserver, no webhook', function () {
  let cp: ControlPlane;
  const kubectl = (args: string[], input?: unknown): Promise<KubectlResult> => cp.kubectl(args, input === undefined ? {} : { input: JSON.stringify(input) });
  const objects: KubeObject[] = governancePolicies(CONFIG, DEFAULT_TARGET);
  const externalName = (name: string, target: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { type: 'ExternalName', externalName: target } });

  before(async function () {
    this.timeout(120_000);
    cp = await sharedControlPlane();
    const rbac = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'e2e-native-gov-tenant' }, rules: [{ apiGroups: [''], resources: ['namespaces'], resourceNames: [NS], verbs: ['get', 'patch', 'update'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'e2e-native-gov-tenant' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-native-gov-tenant' }, subjects: [{ kind: 'User', name: 'native-gov-tenant', apiGroup: 'rbac.authorization.k8s.io' }] },
      // No controller-manager here aggregates `edit`: the tenant's Service rights, spelt out.
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'tenant-services', namespace: NS }, rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'create', 'update', 'patch'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'tenant-services', namespace: NS }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'tenant-services' }, subjects: [{ kind: 'User', name: 'native-gov-tenant', apiGroup: 'rbac.authorization.k8s.io' }] },
      // What kubeadm binds for its admin.conf group.
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'e2e-native-gov-kubeadm-admins' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'kubeadm:cluster-admins', apiGroup: 'rbac.authorization.k8s.io' }] },
    ];
    for (const o of rbac) expect((await kubectl(['apply', '-f', '-'], o)).code).to.equal(0);
    const applied = await kubectl(['apply', '-f', '-'], { apiVersion: 'v1', kind: 'List', items: objects });
    expect(applied.code, applied.stderr).to.equal(0);
    // The API server picks policies up asynchronously: wait until the tenant's label change is refused.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await kubectl(['label', 'namespace', NS, 'extguard.io/mode=off', '--dry-run=server', ...TENANT]);
      if (r.code !== 0 && r.stderr.includes(MODE_POLICY)) break;
      if (Date.now() > deadline) throw new Error(`the mode policy never applied: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  });

  after(async function () {
    this.timeout(30_000);
    for (const o of objects) await kubectl(['delete', o.kind.toLowerCase(), o.metadata.name, '--ignore-not-found']);
    await kubectl(['delete', 'clusterrole,clusterrolebinding', 'e2e-native-gov-tenant', '--ignore-not-found']);
    await kubectl(['delete', 'clusterrolebinding', 'e2e-native-gov-kubeadm-admins', '--ignore-not-found']);
  });

  it('a tenant cannot set, change or remove the mode label; the message names the rule and the setting, not a value', async () => {
    const set = await kubectl(['label', 'namespace', NS, 'extguard.io/mode=off', ...TENANT]);
    expect(set.code).to.not.equal(0);
    expect(set.stderr).to.contain('mode-change-forbidden').and.to.contain('governance.modeAdmins');
    // Other labels are no business of extguard's.
    const other = await kubectl(['label', 'namespace', NS, 'team=a', '--overwrite', ...TENANT]);
    expect(other.code, other.stderr).to.equal(0);
  });

  it('a mode admin (kubeadm:cluster-admins, system:masters) may; then the tenant may not remove it', async () => {
    const admin = await kubectl(['label', 'namespace', NS, 'extguard.io/mode=warn', '--as=kubernetes-admin', '--as-group=kubeadm:cluster-admins', '--as-group=system:authenticated']);
    expect(admin.code, admin.stderr).to.equal(0);
    const remove = await kubectl(['label', 'namespace', NS, 'extguard.io/mode-', ...TENANT]);
    expect(remove.code).to.not.equal(0);
    expect(remove.stderr).to.contain(MODE_POLICY);
    const masters = await kubectl(['label', 'namespace', NS, 'extguard.io/mode=enforce', '--overwrite']);
    expect(masters.code, masters.stderr).to.equal(0);
  });

  it('a tenant may declare an allowed target (exact, or deeper than *.suffix), not another; the apex of *.suffix is not allowed', async () => {
    for (const [name, target] of [['ok-exact', 'db.example.org.'], ['ok-deeper', 'api.eu.partner.example.com']] as const) {
      const r = await kubectl(['create', '-f', '-', ...TENANT], externalName(name, target));
      expect(r.code, `${target}: ${r.stderr}`).to.equal(0);
    }
    for (const target of ['api.other.example.net', 'partner.example.com']) {
      const r = await kubectl(['create', '--dry-run=server', '-f', '-', ...TENANT], externalName('not-ok', target));
      expect(r.code, target).to.not.equal(0);
      expect(r.stderr).to.contain('undeclarable-host').and.to.contain(DECLARATION_POLICY);
    }
    // Changing an allowed declaration to another target is judged again; an unrelated change is not.
    const retarget = await kubectl(['patch', 'service', 'ok-exact', '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { externalName: 'elsewhere.example.net' } }), ...TENANT]);
    expect(retarget.code).to.not.equal(0);
    const relabel = await kubectl(['label', 'service', 'ok-exact', '-n', NS, 'team=a', ...TENANT]);
    expect(relabel.code, relabel.stderr).to.equal(0);
  });

  it('an administrator may declare any target', async () => {
    const r = await kubectl(['create', '--dry-run=server', '-f', '-'], externalName('admin-any', 'api.other.example.net'));
    expect(r.code, r.stderr).to.equal(0);
  });
});
