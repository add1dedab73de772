// `extguard policies`: every native admission object, in a fixed order, from one config and the
// same rule tables the judge uses. Each rule's module owns its policies; this only assembles.

import type { Config } from '../config/config.ts';
import { DEFAULT_TARGET, withRuleSettings, type KubeObject, type Target } from './common.ts';
import { credentialPolicies } from './credentials.ts';
import { declarationObjects } from './declarations.ts';
import { governancePolicies } from './governance.ts';
import { hostPolicies } from './hosts.ts';
import { injectionPolicies } from './injection.ts';
import { unknownServicePolicies } from './unknown-service.ts';

export interface NativeOptions {
  target?: Target;
  /** Namespace extguard runs in (its ServiceAccount writes Declarations). */
  namespace?: string;
}

export function nativePolicies(config: Config, opts: NativeOptions = {}): KubeObject[] {
  const target = opts.target ?? DEFAULT_TARGET;
  const namespace = opts.namespace ?? 'extguard-system';
  return withRuleSettings([
    ...declarationObjects(config, { target, namespace }),
    ...credentialPolicies(config, target),
    ...hostPolicies(config, target),
    ...governancePolicies(config, target),
    ...unknownServicePolicies(config, target),
    ...injectionPolicies(config, target),
  ], config);
}
