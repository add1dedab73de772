// Native unknown-external-service policy (ValidatingAdmissionPolicy with Declarations as
// params). See common.ts.
//
// A workload whose extguard.io/inject names a Service its namespace's Declarations do not list
// (they list the ExternalName Services of the namespace and the shared one, as the webhook finds
// them: declaredServices). The webhook denies those as unknown-external-service. Parsing is the
// injection policies' own (annotationList: merged over object and pod template, trimmed, blanks
// dropped), so the two read the same names.
//
// Never stricter, with one window: Declarations are written by serve at most once a second, so
// for about a second after a Service is declared this policy may still deny a workload naming it
// (docs/native.md). With no Declarations yet (a new namespace), failurePolicy Ignore gives no
// decision: admitted, the webhook judges.

import type { Config } from '../config/config.ts';
import { INJECT } from '../policy/annotations.ts';
import { modeBindings, nativeHead, SEE_CHECK, vapVersion, WORKLOAD_MATCH, type KubeObject, type Target } from './common.ts';
import { annotationList, DECLARATIONS, LOCATIONS } from './injection.ts';

export const UNKNOWN_SERVICE_POLICY = 'extguard-native-unknown-service';

const KIND_OF: Record<string, string> = { pods: 'Pod', cronjobs: 'CronJob', podtemplates: 'PodTemplate' };

/** The names in extguard.io/inject, by the object's kind (one location per kind, as the injection policies read them). */
function requestedExpression(): string {
  const special = LOCATIONS.filter((l) => l.resources.length === 1 && KIND_OF[l.resources[0]!] !== undefined);
  const templates = LOCATIONS.find((l) => l.suffix === 'template')!;
  return special.reduceRight((rest, loc) => `object.kind == '${KIND_OF[loc.resources[0]!]}' ? ${annotationList(loc, INJECT)} : ${rest}`, annotationList(templates, INJECT));
}

export function unknownServicePolicies(config: Config, target: Target): KubeObject[] {
  const policy: KubeObject = {
    ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicy', UNKNOWN_SERVICE_POLICY),
    spec: {
      // A cost or evaluation failure admits: the webhook judges.
      failurePolicy: 'Ignore',
      paramKind: { apiVersion: `${DECLARATIONS.group}/${DECLARATIONS.version}`, kind: DECLARATIONS.kind },
      matchConstraints: WORKLOAD_MATCH,
      matchConditions: [
        { name: 'not-deleting', expression: '!has(object.metadata.deletionTimestamp)' },
        // A Pod's containers cannot change after creation: judged on CREATE, as the injection policy mutates it.
        { name: 'pod-create-only', expression: "object.kind != 'Pod' || request.operation == 'CREATE'" },
        { name: 'asks-for-injection', expression: `${LOCATIONS.flatMap((l) => l.metadata).map((m) => `object${m.map((f) => `.?${f}`).join('')}.?annotations[?${JSON.stringify(INJECT)}].hasValue()`).filter((v, i, a) => a.indexOf(v) === i).join(' || ')}` },
      ],
      variables: [
        { name: 'requested', expression: requestedExpression() },
        // Cost: |requested| x |services| name comparisons.
        { name: 'unknown', expression: 'variables.requested.filter(n, !params.?spec.?services.orValue([]).exists(s, s.name == n))' },
      ],
      validations: [{
        expression: 'size(variables.unknown) == 0',
        // A Service name is not a credential: naming the first unknown one tells the user what to declare.
        messageExpression: `${JSON.stringify(`${INJECT} names Service `)} + variables.unknown[0] + ${JSON.stringify(`, which is not an ExternalName Service declared in this namespace (or the shared one) (unknown-external-service; extguard native policy). Fix: declare it as an ExternalName Service, or remove it from the annotation; ${SEE_CHECK}.`)}`,
      }],
    },
  };
  return [policy, ...modeBindings(UNKNOWN_SERVICE_POLICY, config, target, { paramRef: { name: DECLARATIONS.name, parameterNotFoundAction: 'Deny' } })];
}
