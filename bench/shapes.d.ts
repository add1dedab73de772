// Types for bench/shapes.js, so the TypeScript tests can import its generators.
export declare const MAX_OBJECT_BYTES: number;
/** The API server's limit on a ConfigMap's data and binaryData together. */
export declare const MAX_CONFIGMAP_DATA_BYTES: number;
export interface Shape {
  name: string;
  what: string;
  /** The object's kind when it is not a Deployment. */
  kind?: 'ConfigMap';
  /** The object as JSON text (some are nested too deep for JSON.stringify). */
  text(): string;
}
export declare function shapes(): Shape[];
/** The API server's limit on a ConfigMap's data and binaryData together. */
export declare const MAX_CONFIGMAP_DATA_BYTES: number;
export declare function configMap(data: Record<string, string>, name?: string, namespace?: string): Record<string, unknown>;
export declare function deployment(podSpec: Record<string, unknown>, name?: string, namespace?: string): Record<string, unknown>;
export interface Flood {
  name: string;
  /** The shape the flooding tenant sends (one of shapes()). */
  shape: string;
  /** Concurrent connections the flood is sent from. */
  connections: number;
  tenant: { namespace: string; username: string };
  ordinary: { namespace: string; username: string; count: number };
}
export declare const FLOOD: Flood;
/** The flood's Deployment as JSON text, in the flooding tenant's namespace. */
export declare function floodText(): string;
/** A one-container Pod in the ordinary user's namespace. */
export declare function ordinaryPod(name?: string): Record<string, unknown>;
