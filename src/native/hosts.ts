// Native undeclared-external-host policy (ValidatingAdmissionPolicy with Declarations as params). See common.ts.

import type { Config } from '../config/config.ts';
import type { KubeObject, Target } from './common.ts';

export function hostPolicies(_config: Config, _target: Target): KubeObject[] {
  return [];
}
