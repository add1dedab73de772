// The vocabulary the judge speaks. Pure data: no I/O, no classes, so a verdict can be
// serialised as-is by the webhook and the CLI.

export type Mode = 'enforce' | 'warn' | 'audit' | 'off';
export const MODES: readonly Mode[] = ['enforce', 'warn', 'audit', 'off'];

export const RULES = [
  'plaintext-credential', 'undeclared-external-host', 'unknown-external-service',
  'mode-change-forbidden', 'invalid-declaration', 'undeclarable-host',
] as const;
export type RuleName = (typeof RULES)[number];

export interface Violation {
  rule: RuleName;
  /** Container name, or "" for violations about the object itself (e.g. the inject annotation). */
  container: string;
  /** Dotted field path as kubectl prints it: spec.template.spec.containers[0].env[2].value */
  path: string;
  /** Human message: object, container, path and the fix. Never the credential. */
  message: string;
}

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

export interface Verdict {
  mode: Mode;
  allowed: boolean;
  violations: Violation[];
  warnings: string[];
  patch: JsonPatchOperation[];
  auditAnnotations: Record<string, string>;
}

export type { ScannedField, ScannedText } from '../objects/texts.ts';

/** A credential found by the credentials rule. Carries where and what kind, never the value. */
export interface CredentialFinding {
  path: string;
  /** Short description of what was recognised, e.g. "sensitive variable name", "AWS access key ID", "password in URL". */
  what: string;
  /** The value sits in a ConfigMap: the fix is to move it into a Secret. */
  fromConfigMap?: boolean;
}

/** A host found by the hosts rule that is outside the cluster. */
export interface HostFinding {
  path: string;
  /** Lower-cased host name without trailing dot, or an IP literal (IPv6 without brackets). */
  host: string;
  port?: number;
  /** The name's leading labels are only known at run time (`$(REGION).example.com`): some host under `host`. */
  under?: boolean;
  /** Found by shape only (no position says it is a host): a warning at most, never a denial. */
  shape?: boolean;
  /** The host as written (before parsing): compared with the words of credential places, never printed. */
  written?: string;
}

export interface CredentialSettings {
  /** Extra sensitive name keywords, on top of the built-in ones (case-insensitive). */
  sensitiveNames: string[];
  /** Extra value patterns: a well-known token format of the organisation. */
  extraPatterns: { name: string; pattern: string }[];
}

export interface HostSettings {
  clusterDomain: string;
  /** CIDRs whose addresses are inside the cluster network (IPv4 and IPv6). */
  internalCIDRs: string[];
}
