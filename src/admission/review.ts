// admission.k8s.io/v1 AdmissionReview: decoding a request and the few response constructors
// every endpoint speaks in (the controller-runtime vocabulary: allowed, denied, errored).
// Nothing else in the tree assembles an AdmissionReview.

import { isObject } from '../objects/json.ts';
import { quoted } from '../objects/quote.ts';
import type { JsonPatchOperation } from '../policy/types.ts';

export { quoted };

export const API_VERSION = 'admission.k8s.io/v1';
export const KIND = 'AdmissionReview';

export interface AdmissionRequest {
  uid: string;
  kind?: { group: string; version: string; kind: string };
  namespace?: string;
  name?: string;
  operation: string;
  subResource?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  /** Who sent the request; the governance rules need it. */
  userInfo?: { username?: string; groups?: string[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  response: AdmissionResponse;
}

/** A request that is not a usable AdmissionReview. `uid` is set when one could be read. */
export class ReviewError extends Error {
  override name = 'ReviewError';
  readonly status: number;
  readonly uid: string | undefined;
  constructor(status: number, message: string, uid?: string) {
    super(message);
    this.status = status;
    this.uid = uid;
  }
}



/**
 * A request body as an AdmissionRequest, or a ReviewError saying why not. Never the JSON
 * parser's message: it quotes the body.
 */
export function parseReview(text: string): AdmissionRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReviewError(400, 'request body is not valid JSON');
  }
  try {
    return decodeReview(parsed);
  } catch (err) {
    throw err instanceof ReviewError ? err : new ReviewError(400, 'request body is not a usable AdmissionReview');
  }
}

export function decodeReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw new ReviewError(400, 'expected a JSON AdmissionReview object');
  const request = body['request'];
  const uid = isObject(request) && typeof request['uid'] === 'string' ? request['uid'] : undefined;
  if (body['kind'] !== KIND) throw new ReviewError(400, `expected kind ${KIND}, got ${quoted(body['kind'])}`, uid);
  if (body['apiVersion'] !== API_VERSION) {
    throw new ReviewError(400, `expected apiVersion ${API_VERSION}, got ${quoted(body['apiVersion'])}; register the webhook with admissionReviewVersions: ["v1"]`, uid);
  }
  if (!isObject(request)) throw new ReviewError(400, 'AdmissionReview has no request', uid);
  if (!uid) throw new ReviewError(400, 'request.uid must be a non-empty string');
  if (typeof request['operation'] !== 'string') throw new ReviewError(400, 'request.operation must be a string', uid);
  for (const key of ['namespace', 'name', 'subResource'] as const) {
    if (request[key] !== undefined && typeof request[key] !== 'string') throw new ReviewError(400, `request.${key} must be a string`, uid);
  }
  if (request['dryRun'] !== undefined && typeof request['dryRun'] !== 'boolean') throw new ReviewError(400, 'request.dryRun must be a boolean', uid);
  const user = request['userInfo'];
  if (user !== undefined && user !== null) {
    if (!isObject(user)) throw new ReviewError(400, 'request.userInfo must be an object', uid);
    if (user['username'] !== undefined && typeof user['username'] !== 'string') throw new ReviewError(400, 'request.userInfo.username must be a string', uid);
    const groups = user['groups'];
    if (groups !== undefined && groups !== null && (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string'))) {
      throw new ReviewError(400, 'request.userInfo.groups must be a list of strings', uid);
    }
  }
  return request as unknown as AdmissionRequest;
}

function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: API_VERSION, kind: KIND, response };
}

function extras(warnings?: readonly string[], auditAnnotations?: Record<string, string>): Partial<AdmissionResponse> {
  const out: Partial<AdmissionResponse> = {};
  if (warnings && warnings.length) out.warnings = [...warnings];
  if (auditAnnotations && Object.keys(auditAnnotations).length) out.auditAnnotations = auditAnnotations;
  return out;
}

export function allowed(uid: string, opts: { patch?: readonly JsonPatchOperation[]; warnings?: readonly string[]; auditAnnotations?: Record<string, string> } = {}): AdmissionReviewResponse {
  const response: AdmissionResponse = { uid, allowed: true, ...extras(opts.warnings, opts.auditAnnotations) };
  if (opts.patch && opts.patch.length) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(opts.patch)).toString('base64');
  }
  return review(response);
}

export function denied(uid: string, message: string, opts: { warnings?: readonly string[]; auditAnnotations?: Record<string, string> } = {}): AdmissionReviewResponse {
  return review({ uid, allowed: false, status: { code: 403, reason: 'Forbidden', message }, ...extras(opts.warnings, opts.auditAnnotations) });
}

/** The request could not be judged (bad shape, internal error): a well-formed refusal. */
export function errored(uid: string, code: number, message: string): AdmissionReviewResponse {
  return review({ uid, allowed: false, status: { code, message } });
}
