// Native governance policies (ValidatingAdmissionPolicy). See common.ts.
//
// - mode-change-forbidden: setting, changing or removing a Namespace's extguard.io/mode label
//   by anyone outside governance.modeAdmins. Exactly the webhook's rule (src/policy/governance.ts
//   judgeNamespace), judged whatever the namespace's mode, as the webhook judges it.
// - undeclarable-host: a new ExternalName target outside governance.declarations.allowedTargets,
//   declared by anyone outside governance.declarations.admins, only when allowedTargets is set.
//   The webhook denies those too (as undeclarable-host, or as invalid-declaration when the target
//   is also one nobody may declare), in the namespace's mode.
// Both read only the request and the object, so nothing here can be stricter than the webhook.

import type { Config, Subjects } from '../config/config.ts';
import { normalizeHost } from '../policy/hosts.ts';
import { MODE_LABEL, modeBindings, nativeHead, SEE_CHECK, SKIPPED_NAMESPACES_EXPRESSION, vapVersion, type KubeObject, type Target } from './common.ts';

// JSON string literals are CEL string literals too; these policies' tests read them in that form.
const celString = (s: string): string => JSON.stringify(s);
const celList = (items: readonly string[]): string => `[${[...new Set(items)].sort().map(celString).join(', ')}]`;

export const MODE_POLICY = 'extguard-native-mode-change';
export const DECLARATION_POLICY = 'extguard-native-undeclarable-host';

/** A CEL string literal: JSON's double-quoted form is one CEL accepts, escapes included. */

/** CEL: the requester is one of `subjects` (user name or a group), as isMember decides. */
export function memberExpression(subjects: Subjects): string {
  const parts: string[] = [];
  if (subjects.users.length) parts.push(`request.userInfo.username in ${celList(subjects.users)}`);
  if (subjects.groups.length) parts.push(`(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ${celList(subjects.groups)}))`);
  return parts.length ? parts.join(' || ') : 'false';
}

const label = (o: 'object' | 'oldObject'): string =>
  `(${o} != null && has(${o}.metadata.labels) && '${MODE_LABEL}' in ${o}.metadata.labels ? ${o}.metadata.labels['${MODE_LABEL}'] : '<unset>')`;

function modePolicy(config: Config, target: Target): KubeObject[] {
  return [
    {
      ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicy', MODE_POLICY),
      spec: {
        // The expressions are constant-cost; a failure to evaluate must not open the gate the rule guards.
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['namespaces', 'namespaces/status', 'namespaces/finalize'] }],
        },
        matchConditions: [
          { name: 'not-mode-admin', expression: `!(${memberExpression(config.governance.modeAdmins)})` },
          // '<unset>' cannot be a label value, so it stands for "no label".
          { name: 'mode-label-changes', expression: `${label('object')} != ${label('oldObject')}` },
        ],
        validations: [{
          expression: 'false',
          messageExpression: `'namespace ' + object.metadata.name + ${celString(`: only governance.modeAdmins may set, change or remove the ${MODE_LABEL} label (mode-change-forbidden; extguard native policy). Fix: leave the label as it is, or ask a cluster administrator; docs/contract.md, Who may change the mode on your cluster.`)}`,
        }],
      },
    },
    {
      ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicyBinding', MODE_POLICY),
      // Every namespace, whatever its mode: otherwise `off` would switch off its own check.
      spec: { policyName: MODE_POLICY, validationActions: ['Deny'] },
    },
  ];
}

/** CEL: `t` (a normalized host) matches one allowedTargets pattern, as hostMatches decides. */
function allowedExpression(patterns: readonly string[]): string {
  const exact = patterns.map(normalizeHost).filter((p) => !p.startsWith('*.'));
  const suffixes = patterns.map(normalizeHost).filter((p) => p.startsWith('*.')).map((p) => p.slice(1));
  const parts: string[] = [];
  if (exact.length) parts.push(`variables.target in ${celList(exact)}`);
  // "*.example.com": any deeper name, not the apex.
  if (suffixes.length) parts.push(`${celList(suffixes)}.exists(s, variables.target.endsWith(s) && size(variables.target) > size(s))`);
  return parts.length ? parts.join(' || ') : 'false';
}

function declarationPolicy(config: Config, target: Target): KubeObject[] {
  const { allowedTargets, admins } = config.governance.declarations;
  if (allowedTargets.length === 0) return [];
  // normalizeHost: trimmed, lower case, no brackets, no trailing dot. A bracketed target is left
  // to the webhook (it unwraps it; brackets only wrap IPv6 literals, which it refuses anyway).
  const normalize = (e: string, v: string) => [
    { name: `${v}Raw`, expression: `${e}.trim().lowerAscii()` },
    { name: v, expression: `variables.${v}Raw.endsWith('.') ? variables.${v}Raw.substring(0, size(variables.${v}Raw) - 1) : variables.${v}Raw` },
  ];
  return [
    {
      ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicy', DECLARATION_POLICY),
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['services'] }],
          namespaceSelector: { matchExpressions: [SKIPPED_NAMESPACES_EXPRESSION] },
        },
        matchConditions: [
          { name: 'external-name', expression: "has(object.spec.type) && object.spec.type == 'ExternalName'" },
          { name: 'not-declarations-admin', expression: `!(${memberExpression(admins)})` },
        ],
        variables: [
          ...normalize("(has(object.spec.externalName) ? object.spec.externalName : '')", 'target'),
          ...normalize("(oldObject != null && has(oldObject.spec.externalName) ? oldObject.spec.externalName : '')", 'oldTarget'),
          // Only a new target is judged: an unchanged declaration can still be updated and deleted.
          { name: 'unchanged', expression: "oldObject != null && has(oldObject.spec.type) && oldObject.spec.type == 'ExternalName' && variables.oldTarget == variables.target" },
        ],
        validations: [{
          expression: `variables.unchanged || variables.target == '' || variables.target.startsWith('[') || ${allowedExpression(allowedTargets)}`,
          messageExpression: `'Service ' + object.metadata.namespace + '/' + object.metadata.name + ${celString(`: this externalName matches none of governance.declarations.allowedTargets, and only governance.declarations.admins may declare other targets (undeclarable-host; extguard native policy). Fix: declare an allowed target, or ask a cluster administrator; ${SEE_CHECK}.`)}`,
        }],
      },
    },
    ...modeBindings(DECLARATION_POLICY, config, target),
  ];
}

export function governancePolicies(config: Config, target: Target): KubeObject[] {
  return [...modePolicy(config, target), ...declarationPolicy(config, target)];
}
