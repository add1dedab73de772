// The Declarations CRD (extguard.io) that serve keeps in sync per judged namespace, and the
// policy that lets only extguard's ServiceAccount write them. See common.ts.

import type { Config } from '../config/config.ts';
import type { KubeObject, Target } from './common.ts';

export function declarationObjects(_config: Config, _opts: { target: Target; namespace: string }): KubeObject[] {
  return [];
}
