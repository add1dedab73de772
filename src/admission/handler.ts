// From a decoded AdmissionRequest to an AdmissionReview response, for both endpoints.
// /mutate only ever adds the injection patch: it never denies on policy, so that denials and
// warnings come once, from /validate, which sees the object after every mutation.

import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import { judge, type Judgement, type Policy } from '../policy/judge.ts';
import { denialMessage } from '../policy/messages.ts';
import { ShapeError } from './workload.ts';
import { allowed, denied, errored, type AdmissionRequest, type AdmissionReviewResponse } from './review.ts';

export type Endpoint = 'mutate' | 'validate';

export interface Handled {
  review: AdmissionReviewResponse;
  judgement?: Judgement;
}

export function handleAdmission(endpoint: Endpoint, request: AdmissionRequest, catalog: CatalogSnapshot, policy: Policy): Handled {
  let judgement: Judgement;
  try {
    judgement = judge(
      { operation: request.operation, object: request.object, namespace: request.namespace, subResource: request.subResource, dryRun: request.dryRun === true },
      catalog,
      policy,
    );
  } catch (err) {
    if (err instanceof ShapeError) return { review: errored(request.uid, 400, `extguard cannot read the object: ${err.message}`) };
    throw err;
  }
  const { verdict, workload } = judgement;
  if (endpoint === 'mutate') return { review: allowed(request.uid, { patch: verdict.patch }), judgement };
  const opts = { warnings: verdict.warnings, auditAnnotations: verdict.auditAnnotations };
  if (!verdict.allowed && workload) return { review: denied(request.uid, denialMessage(workload, verdict.violations), opts), judgement };
  return { review: allowed(request.uid, opts), judgement };
}
