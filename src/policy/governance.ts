// The governance rules: whoever may label a Namespace or create a Service must not thereby
// switch the policy off. Both need the requester (request.userInfo), so the webhook judges
// them with one; `check` has none and judges as an administrator would, which leaves
// invalid-declaration, the one rule about the object alone.

import { isIP } from 'node:net';
import type { Config, Subjects } from '../config/config.ts';
import { quoted } from '../objects/quote.ts';
import { describeObject } from '../objects/workload.ts';
import type { DeclarationView, NamespaceView } from '../objects/subjects.ts';
import { MODE_LABEL } from './annotations.ts';
import { hostMatches, METADATA_HOSTS, normalizeHost, NUMERIC_LABEL, type CompiledHostSettings, type HostContext } from './hosts.ts';
import { warningLine, type Judged } from './messages.ts';
import type { RuleName, Violation } from './types.ts';

/** Who sent the request, as the API server says (request.userInfo). */
export interface Requester {
  username: string;
  groups: readonly string[];
}

/** No requester (the CLI) is judged as an administrator: SPEC's "as an admin would". */
export function isMember(requester: Requester | undefined, subjects: Subjects): boolean {
  if (!requester) return true;
  return subjects.users.includes(requester.username) || requester.groups.some((g) => subjects.groups.includes(g));
}

function judged(rule: RuleName, path: string, message: string, reason: string): Judged {
  const violation: Violation = { rule, container: '', path, message };
  return { violation, warning: warningLine(violation, reason) };
}

const who = (r: Requester | undefined): string => (r ? `user ${quoted(r.username)}` : 'the requester');

/** Where the docs say which user name and groups a cluster administrator carries, per distribution. */
export const MODE_ADMINS_DOC = 'docs/contract.md#who-may-change-the-mode-on-your-cluster';
// A group list can be long (GKE allows 2,000 Google Groups); the first few tell the administrator enough.
const GROUPS_SHOWN = 10;
// Every authenticated requester carries it: showing it would invite listing it, which would make everyone a mode admin.
const EVERYONE = 'system:authenticated';

/**
 * The requester as the API server named it, groups included: the administrator reading a
 * denial on a managed cluster learns what to add to modeAdmins. Groups are not secrets (the
 * requester sees them with `kubectl auth whoami`); longer cut-offs than `quoted`'s default
 * because an EKS user name is a whole ARN.
 */
function carried(r: Requester | undefined): string {
  if (!r) return 'the requester';
  const groups = r.groups.filter((g) => g !== EVERYONE);
  const shown = groups.slice(0, GROUPS_SHOWN).map((g) => quoted(g, 256)).join(', ');
  const more = groups.length > GROUPS_SHOWN ? ` and ${groups.length - GROUPS_SHOWN} more` : '';
  return `user ${quoted(r.username, 256)} (${groups.length === 0 ? 'in no group' : `groups ${shown}${more}`})`;
}

/**
 * mode-change-forbidden: setting, changing or removing the mode label is for modeAdmins only.
 * Judged whatever the namespace's mode: otherwise `off` would switch off its own check.
 */
export function judgeNamespace(ns: NamespaceView, old: NamespaceView | undefined, requester: Requester | undefined, config: Config): Judged[] {
  const now = ns.labels[MODE_LABEL];
  const before = old?.labels[MODE_LABEL];
  if (now === before || isMember(requester, config.governance.modeAdmins)) return [];
  const change = now === undefined ? `removes ${MODE_LABEL} (was ${quoted(before)})`
    : before === undefined ? `sets ${MODE_LABEL}=${quoted(now)}`
      : `changes ${MODE_LABEL} from ${quoted(before)} to ${quoted(now)}`;
  return [judged('mode-change-forbidden', `metadata.labels[${quoted(MODE_LABEL)}]`,
    `${describeObject(ns)}: ${carried(requester)} ${change}, and only mode admins may change how extguard judges a namespace. ` +
    'Fix: leave the label as it is, or ask a cluster administrator. If you administer this cluster, add your user name, ' +
    `or one of these groups that only administrators carry, to governance.modeAdmins in the extguard configuration (${MODE_ADMINS_DOC}).`,
    `only governance.modeAdmins may set, change or remove ${MODE_LABEL}`)];
}


/**
 * Why an externalName may not be declared by anyone, or undefined when it may. These targets
 * turn a Service into a door to the node, the cluster or the cloud account (the CVE-2021-25740
 * confused-deputy class), and a declaration is what the host rule trusts.
 */
export function invalidTarget(target: string, hosts: CompiledHostSettings, ctx: HostContext): string | undefined {
  const h = normalizeHost(target);
  if (h === '') return 'it has no externalName';
  // Every label a number, decimal or hex: curl and glibc read 0x7f.1 or 2130706433 as an address.
  if (isIP(h) || h.split('.').every((l) => NUMERIC_LABEL.test(l))) return 'it is an IP address, and an ExternalName takes a DNS name';
  if (h === 'localhost' || h.endsWith('.localhost')) return 'it names this host (localhost)';
  if (METADATA_HOSTS.has(h)) return 'it names a cloud metadata service';
  const labels = h.split('.');
  const cluster = hosts.clusterSuffix;
  // cluster.local too, whatever clusterDomain says: DNS servers commonly answer for it as well.
  if (labels.length === 1 || h === cluster || h.endsWith(`.${cluster}`) || h === 'cluster.local' || h.endsWith('.cluster.local') || labels.at(-1) === 'svc'
    || h === 'kubernetes.default' || (labels.length === 2 && ctx.hasNamespace(labels[1]!))) {
    return 'it names a cluster-internal address, which a declaration would expose as an external one';
  }
  return undefined;
}

/**
 * invalid-declaration and undeclarable-host for an ExternalName Service. Only a new target is
 * judged: a Service created as ExternalName, turned into one, or given another externalName.
 * An unchanged declaration can still be updated (labels, finalizers) and deleted.
 */
export function judgeDeclaration(svc: DeclarationView, old: DeclarationView | undefined, requester: Requester | undefined, config: Config, hosts: CompiledHostSettings, ctx: HostContext): Judged[] {
  if (svc.type !== 'ExternalName') return [];
  const target = normalizeHost(svc.externalName ?? '');
  if (old && old.type === 'ExternalName' && normalizeHost(old.externalName ?? '') === target) return [];
  const invalid = invalidTarget(target, hosts, ctx);
  if (invalid) {
    return [judged('invalid-declaration', 'spec.externalName',
      `${describeObject(svc)}: externalName ${quoted(target)} cannot be declared: ${invalid}. ` +
      'Fix: declare the public DNS name of the external service; cluster-internal and metadata addresses are reached without a declaration or not at all.',
      `externalName cannot be declared: ${invalid}`)];
  }
  const { allowedTargets, admins } = config.governance.declarations;
  if (allowedTargets.length === 0 || allowedTargets.some((p) => hostMatches(target, p)) || isMember(requester, admins)) return [];
  return [judged('undeclarable-host', 'spec.externalName',
    `${describeObject(svc)}: ${who(requester)} may not declare ${quoted(target)}: it matches none of governance.declarations.allowedTargets. ` +
    'Fix: declare an allowed target, or ask a cluster administrator to declare this one or to add it to allowedTargets.',
    'externalName is outside governance.declarations.allowedTargets')];
}
