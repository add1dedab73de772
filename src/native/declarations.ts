// The Declarations CRD (extguard.io) that serve keeps in sync per judged namespace, and the
// policy that lets only extguard's ServiceAccount write them. See common.ts.
//
// A Declarations object is what a namespace may reach as the judge computes it (allowedHosts,
// its own and the shared namespace's ExternalName targets) and what the catalog knows about
// each ExternalName Service (for injection): the parameters of the native policies, so the
// API server judges with the webhook's data while the webhook is down. Its content is only as
// good as its writer: nobody but extguard may write it (a tenant who could add a host to it
// would declare hosts without an ExternalName Service).

import type { Config } from '../config/config.ts';
import { nativeHead, vapVersion, type KubeObject, type Target } from './common.ts';

export const DECLARATIONS_GROUP = 'extguard.io';
export const DECLARATIONS_VERSION = 'v1alpha1';
export const DECLARATIONS_API_VERSION = `${DECLARATIONS_GROUP}/${DECLARATIONS_VERSION}`;
export const DECLARATIONS_KIND = 'Declarations';
export const DECLARATIONS_PLURAL = 'declarations';
/** The one object per namespace serve writes, and the one the bindings read. */
export const DECLARATIONS_NAME = 'extguard';
export const DECLARATIONS_GUARD = 'extguard-native-declarations-writer';

/** The ServiceAccount serve runs as (manifests/base/rbac.yaml, the chart's default). */
export const writerOf = (namespace: string): string => `system:serviceaccount:${namespace}:extguard`;

const str = (maxLength: number): Record<string, unknown> => ({ type: 'string', maxLength });

/**
 * The CRD. Bounded lists and strings: the API server estimates a policy's CEL cost from these
 * bounds (params.spec.hosts is iterated per env variable).
 */
export function declarationsCrd(): KubeObject {
  return {
    ...nativeHead('apiextensions.k8s.io/v1', 'CustomResourceDefinition', `${DECLARATIONS_PLURAL}.${DECLARATIONS_GROUP}`),
    spec: {
      group: DECLARATIONS_GROUP,
      scope: 'Namespaced',
      names: { plural: DECLARATIONS_PLURAL, singular: 'declarations', kind: DECLARATIONS_KIND, listKind: `${DECLARATIONS_KIND}List` },
      versions: [{
        name: DECLARATIONS_VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'What one namespace may reach, as extguard judges it. Written by extguard serve only; read by the native admission policies.',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  hosts: {
                    type: 'array',
                    description: 'Hosts the namespace may reach: exact names or IP literals, and *.suffix (any name below suffix). Sorted.',
                    maxItems: 10000,
                    items: str(256),
                    'x-kubernetes-list-type': 'atomic',
                  },
                  services: {
                    type: 'array',
                    description: 'ExternalName Services the namespace may inject (its own, then the shared namespace\'s), resolved as the webhook\'s injection reads them. Sorted by name.',
                    maxItems: 10000,
                    'x-kubernetes-list-type': 'atomic',
                    items: {
                      type: 'object',
                      required: ['name', 'prefix', 'host'],
                      properties: {
                        name: str(63),
                        prefix: { ...str(253), description: 'Variable prefix: <prefix>_HOST, <prefix>_PORT, <prefix>_<suffix>.' },
                        host: { ...str(253), description: 'The value of <prefix>_HOST.' },
                        port: { type: 'integer', minimum: 1, maximum: 65535 },
                        secret: str(253),
                        keys: {
                          type: 'array',
                          maxItems: 64,
                          'x-kubernetes-list-type': 'atomic',
                          items: { type: 'object', required: ['key', 'suffix'], properties: { key: str(253), suffix: str(253) } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      }],
    },
  };
}

/**
 * Only extguard writes Declarations. DELETE stays open while the namespace is terminating, so
 * the namespace controller can empty it.
 */
function guardPolicy(namespace: string, target: Target): KubeObject[] {
  const writer = writerOf(namespace);
  return [
    {
      ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicy', DECLARATIONS_GUARD),
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [{ apiGroups: [DECLARATIONS_GROUP], apiVersions: ['*'], operations: ['CREATE', 'UPDATE', 'DELETE'], resources: [DECLARATIONS_PLURAL, `${DECLARATIONS_PLURAL}/*`] }],
        },
        validations: [{
          expression: `request.userInfo.username == '${writer}' || (request.operation == 'DELETE' && namespaceObject != null && has(namespaceObject.metadata.deletionTimestamp))`,
          message: `declarations-writer: only extguard (${writer}) writes Declarations; they mirror ExternalName Services and allowedHosts. Declare a host with an ExternalName Service instead.`,
          reason: 'Forbidden',
        }],
      },
    },
    {
      ...nativeHead(vapVersion(target), 'ValidatingAdmissionPolicyBinding', DECLARATIONS_GUARD),
      spec: { policyName: DECLARATIONS_GUARD, validationActions: ['Deny'] },
    },
  ];
}

export function declarationObjects(_config: Config, opts: { target: Target; namespace: string }): KubeObject[] {
  return [declarationsCrd(), ...guardPolicy(opts.namespace, opts.target)];
}
