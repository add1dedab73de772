// Types for bench/shapes.js, so the TypeScript tests can import its generators.
export declare const MAX_OBJECT_BYTES: number;
export interface Shape {
  name: string;
  what: string;
  /** The Deployment as JSON text (some are nested too deep for JSON.stringify). */
  text(): string;
}
export declare function shapes(): Shape[];
export declare function deployment(podSpec: Record<string, unknown>, name?: string): Record<string, unknown>;
