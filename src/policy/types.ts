// The vocabulary the judge speaks. Pure data: no I/O, no classes, so a verdict can be
// serialised as-is by the webhook and the CLI.

export type Mode = 'enforce' | 'warn' | 'audit' | 'off';
export const MODES: readonly Mode[] = ['enforce', 'warn', 'audit', 'off'];

export type RuleName = 'plaintext-credential' | 'undeclared-external-host' | 'unknown-external-service';

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

/** Where a text to scan lives inside one container. */
export type ScannedField = 'env' | 'command' | 'args';

/**
 * One string a rule may inspect: an env value, or one element of command/args.
 * Values from valueFrom never become a ScannedText.
 */
export interface ScannedText {
  field: ScannedField;
  /** Index within env, command or args. */
  index: number;
  /** For env values: the variable name. */
  envName?: string;
  value: string;
  /** Dotted field path of the value, e.g. spec.containers[0].env[1].value or spec.containers[0].args[2]. */
  path: string;
}

/** A credential found by the credentials rule. Carries where and what kind, never the value. */
export interface CredentialFinding {
  path: string;
  /** Short description of what was recognised, e.g. "sensitive variable name", "AWS access key ID", "password in URL". */
  what: string;
}

/** A host found by the hosts rule that is outside the cluster. */
export interface HostFinding {
  path: string;
  /** Lower-cased host name without trailing dot, or an IP literal (IPv6 without brackets). */
  host: string;
  port?: number;
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
