// Native plaintext-credential policy (ValidatingAdmissionPolicy). See common.ts.

import type { Config } from '../config/config.ts';
import type { KubeObject, Target } from './common.ts';

export function credentialPolicies(_config: Config, _target: Target): KubeObject[] {
  return [];
}
