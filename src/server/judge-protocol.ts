// The messages between the judge pool and its workers: plain data that structured clone copies.

import type { Endpoint, ReviewSummary, UnjudgedReason } from '../admission/handler.ts';
import type { CatalogUpdate } from '../catalog/snapshot.ts';
import type { Config } from '../config/config.ts';

export interface ReviewJob {
  type: 'review';
  id: number;
  endpoint: Endpoint;
  /** The request body as received (already checked to be a decodable AdmissionReview). */
  text: string;
}

export type ToWorker =
  | { type: 'policy'; config: Config }
  /** A full copy of the catalog, or the changes since the last message (catalog/snapshot.ts catalogUpdate). */
  | { type: 'catalog'; update: CatalogUpdate }
  | ReviewJob;

export type FromWorker =
  /** unjudged: the judge itself declined (an expansion bomb), with the answer for that case. */
  | { type: 'answer'; id: number; review: string; summary?: ReviewSummary; unjudged?: UnjudgedReason }
  /** An unexpected exception in the judge: its name and where, never its message. */
  | { type: 'failed'; id: number; error: string };
