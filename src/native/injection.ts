// Native injection (MutatingAdmissionPolicy, JSONPatch) for extguard.io/inject. See common.ts.

import type { Config } from '../config/config.ts';
import type { KubeObject, Target } from './common.ts';

export function injectionPolicies(_config: Config, _target: Target): KubeObject[] {
  return [];
}
