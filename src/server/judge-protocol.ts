// The messages between the judge pool and its workers: plain data that structured clone copies.

import type { Endpoint, ReviewSummary, UnjudgedReason } from '../admission/handler.ts';
import type { CatalogUpdate } from '../catalog/snapshot.ts';
import type { Config } from '../config/config.ts';

export interface ReviewJob {
  type: 'review';
  id: number;
  endpoint: Endpoint;
  /** The request body as received: parsed, checked and judged in the worker, never on the event loop. */
  text: string;
}

export type ToWorker =
  | { type: 'policy'; config: Config }
  /** A full copy of the catalog, or the changes since the last message (catalog/snapshot.ts catalogUpdate). */
  | { type: 'catalog'; update: CatalogUpdate }
  | ReviewJob;

/** What the HTTP edge logs about a request (never the object). */
export interface RequestFields {
  uid: string;
  operation: string;
  dryRun: boolean;
  kind?: string;
  namespace?: string;
  name?: string;
}

export type FromWorker =
  /** unjudged: the judge itself declined (an expansion bomb), with the answer for that case. */
  | { type: 'answer'; id: number; review: string; request: RequestFields; summary?: ReviewSummary; unjudged?: UnjudgedReason }
  /** Not a usable AdmissionReview: `review` is an errored AdmissionReview when a uid was readable, else the edge answers `status`. */
  | { type: 'rejected'; id: number; status: number; message: string; review?: string }
  /** An unexpected exception in the judge: its name and where, never its message. */
  | { type: 'failed'; id: number; error: string };
