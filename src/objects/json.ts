// Requests and manifests arrive as parsed JSON of any shape; every reader checks it the same way.

export type Json = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
