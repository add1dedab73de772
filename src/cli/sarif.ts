// `extguard check --format sarif`: the check report as a SARIF 2.1.0 log, the format code
// scanning services (GitHub code scanning, IDE viewers) read. One result per violation, at the
// line of the offending field; what kept files from being read becomes tool execution
// notifications, since it is about the run, not about the code. Pure: the caller hands in the
// source texts, the working directory and the version.

import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FileNote, ManifestDocument } from '../catalog/files.ts';
import type { RuleName } from '../policy/types.ts';
import type { CheckRun } from './report.ts';
import { SourceLines, type SourcePosition } from './source-lines.ts';
import { where } from './walk.ts';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** The base every relative artifact URI is resolved against: the directory `check` ran in. */
export const SRCROOT = '%SRCROOT%';
/** The artifact URI of text read from standard input (`check -`): there is no file to point at. */
export const STDIN_URI = 'stdin';
const STDIN_FILE = '<stdin>';

/** One line each, for `tool.driver.rules`: what the rule catches (README's Violations table). */
export const RULE_DESCRIPTIONS: Record<RuleName, string> = {
  'plaintext-credential': 'A literal credential in a container field (env value, command, args, probe or hook command, header): keep it in a Secret and reference it with secretKeyRef.',
  'undeclared-external-host': 'A host outside the cluster that no ExternalName Service declares.',
  'unknown-external-service': 'extguard.io/inject names a Service that is missing or not of type ExternalName.',
  'mode-change-forbidden': 'A Namespace that sets, changes or removes extguard.io/mode, by a requester outside governance.modeAdmins.',
  'invalid-declaration': 'An ExternalName Service whose target is an IP address, localhost, a cluster-internal name or a cloud metadata name.',
  'undeclarable-host': 'An ExternalName Service declaring a target outside governance.declarations.allowedTargets, by a requester outside governance.declarations.admins.',
};

export interface SarifOptions {
  /** extguard's version (package.json). */
  version: string;
  /** The directory artifact URIs are relative to (the working directory). */
  cwd: string;
  /** The text of a file results point into; undefined when it cannot be had (then the object's first line). */
  textOf: (file: string) => string | undefined;
  /** Why the run is not a verdict (exit 2), as printed on stderr. */
  unusable?: readonly string[];
}

type Json = Record<string, unknown>;

export function buildSarif(run: CheckRun, options: SarifOptions): Json {
  const sources = new Map<string, SourceLines | undefined>();
  const sourceOf = (file: string): SourceLines | undefined => {
    if (!sources.has(file)) {
      const text = options.textOf(file);
      sources.set(file, text === undefined ? undefined : new SourceLines(text));
    }
    return sources.get(file);
  };
  const ruleIds: RuleName[] = [];
  const results: Json[] = [];
  run.report.results.forEach((r, i) => {
    const document = run.documents[i];
    for (const v of r.violations) {
      if (!ruleIds.includes(v.rule)) ruleIds.push(v.rule);
      const physical = document?.file ? physicalLocation(document.file, positionOf(document, v.path, sourceOf), options.cwd) : undefined;
      results.push({
        ruleId: v.rule,
        ruleIndex: ruleIds.indexOf(v.rule),
        // A denied object fails the gate; an allowed one (warn or audit mode) only warns.
        level: r.allowed ? 'warning' : 'error',
        message: { text: v.message },
        locations: [{
          ...(physical ? { physicalLocation: physical } : {}),
          logicalLocations: [{ name: r.name, fullyQualifiedName: `${r.kind} ${r.namespace}/${r.name}` }],
        }],
        properties: { field: v.path, ...(v.container ? { container: v.container } : {}), mode: r.mode, kind: r.kind, namespace: r.namespace, name: r.name },
      });
    }
  });
  const unusable = options.unusable ?? [];
  const notifications = [
    ...run.report.errors.map((e) => notification('error', e, options.cwd)),
    ...run.report.notices.map((n) => notification('warning', n, options.cwd)),
    // Reasons that are not one of the errors above: a directory without YAML, nothing to judge.
    ...unusable.filter((u) => !run.report.errors.some((e) => u === where(e) || u.startsWith(`${where(e)} (`))).map((u) => ({ level: 'error', message: { text: u } })),
  ];
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'extguard',
          version: options.version,
          rules: ruleIds.map((id) => ({ id, name: id, shortDescription: { text: RULE_DESCRIPTIONS[id] } })),
        },
      },
      originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(options.cwd) } },
      invocations: [{
        executionSuccessful: unusable.length === 0,
        ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
      }],
      results,
    }],
  };
}

function positionOf(document: ManifestDocument, path: string, sourceOf: (file: string) => SourceLines | undefined): SourcePosition | undefined {
  const found = document.address && document.file ? sourceOf(document.file)?.locate(document.address, path) : undefined;
  return found ?? (document.line ? { line: document.line, column: 1 } : undefined);
}

function physicalLocation(file: string, position: SourcePosition | undefined, cwd: string): Json {
  return {
    artifactLocation: artifactLocation(file, cwd),
    ...(position ? { region: { startLine: position.line, startColumn: position.column } } : {}),
  };
}

function notification(level: 'error' | 'warning', note: FileNote, cwd: string): Json {
  return {
    level,
    message: { text: note.reason },
    locations: [physicalLocation(note.file, note.line ? { line: note.line, column: 1 } : undefined, cwd)].map((p) => ({ physicalLocation: p })),
    ...(note.code ? { descriptor: { id: note.code } } : {}),
  };
}

/**
 * A path under the working directory is a relative URI against %SRCROOT% with `/` separators
 * (what code scanning maps onto the repository); one outside it an absolute file URI; stdin
 * the bare `stdin`, which names no file.
 */
export function artifactLocation(file: string, cwd: string): Json {
  if (file === STDIN_FILE) return { uri: STDIN_URI };
  const absolute = resolve(cwd, file);
  const rel = relative(cwd, absolute);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return { uri: pathToFileURL(absolute).href };
  return { uri: rel.split(sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : `${href}/`;
}
