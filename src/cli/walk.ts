// `extguard check PATH...` over a repository checkout: walk directories the way users keep
// them (manifests next to docker-compose files, CI configs, Helm charts, test fixtures) and
// read every Kubernetes object there, listing what was skipped or unreadable instead of
// stopping at the first file that is not a manifest.

import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { InputError, manifestEntries, type FileNote, type ManifestDocument } from '../catalog/files.ts';

/** Never manifests, and large: version-control metadata and installed packages. */
export const IGNORED_DIRECTORIES = new Set(['.git', '.hg', '.svn', 'node_modules']);
const MANIFEST_FILE = /\.(ya?ml|json)$/i;
export const HELM_TEMPLATE = 'a Helm template: render it first (helm template RELEASE CHART | extguard check -)';

export interface Inputs {
  /** The objects read, unless WalkOptions.onDocument took them. */
  documents: ManifestDocument[];
  /** How many objects were read. */
  objects: number;
  skipped: FileNote[];
  errors: FileNote[];
  notices: FileNote[];
  /** YAML/JSON files read (stdin counts as one). */
  files: number;
  /**
   * Why an input named on the command line cannot be used, one line each: the user asked for
   * that file, so a problem in it is never just a note.
   */
  unusable: string[];
  /** Files named on the command line (or `<stdin>`), as they appear in notes. */
  named: Set<string>;
  /** Absolute paths of the patch files of the kustomizations walked, with the reason they are skipped. */
  kustomizePatches: Map<string, string>;
}

export interface WalkOptions {
  /** `--exclude` globs; see `isExcluded`. */
  exclude?: readonly string[];
  stdin?: () => string;
  /**
   * A named file that holds no Kubernetes object is skipped like one found in a directory
   * (`--skip-non-kubernetes`): pre-commit names every staged YAML file, CI configs included.
   */
  skipNonKubernetes?: boolean;
  /** Takes each object as it is read (then `documents` stays empty): a huge input is never held whole. */
  onDocument?: (document: ManifestDocument) => void;
  /** Parse only the kubectl pieces (yaml-stream.ts) for which this is true; the others are passed over unread. */
  only?: (piece: string) => boolean;
}

/** Reads files, directories (recursively, *.yaml|*.yml|*.json) or "-" for stdin. A missing path throws InputError. */
export function readInputs(paths: readonly string[], options: WalkOptions = {}): Inputs {
  const inputs: Inputs = { documents: [], objects: 0, skipped: [], errors: [], notices: [], files: 0, unusable: [], named: new Set(), kustomizePatches: new Map() };
  const exclude = (options.exclude ?? []).map(normalizePattern);
  for (const path of paths) {
    if (path === '-') {
      readNamed(inputs, '<stdin>', options.stdin ? options.stdin() : readFileSync(0, 'utf8'), options);
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      throw new InputError(`${path}: no such file or directory`);
    }
    if (st.isDirectory()) {
      const before = inputs.files;
      walk(inputs, path, path, exclude, options);
      if (inputs.files === before) inputs.unusable.push(`${path}: no YAML or JSON file in this directory`);
      continue;
    }
    let text: string | undefined;
    try {
      text = readText(path);
    } catch (err) {
      throw new InputError(`${path}: ${(err as Error).message}`);
    }
    if (text === undefined) {
      inputs.files++;
      inputs.named.add(path);
      inputs.skipped.push({ file: path, reason: BINARY_FILE });
      inputs.unusable.push(`${path}: ${BINARY_FILE}: not a manifest`);
      continue;
    }
    readNamed(inputs, path, text, options);
  }
  return inputs;
}

function readNamed(inputs: Inputs, file: string, text: string, options: WalkOptions): void {
  inputs.named.add(file);
  const before = { documents: inputs.objects, skipped: inputs.skipped.length, errors: inputs.errors.length };
  read(inputs, file, text, options);
  for (const e of inputs.errors.slice(before.errors)) inputs.unusable.push(where(e));
  // A named file holding documents, none of them a Kubernetes object, is the wrong file.
  if (!options.skipNonKubernetes && inputs.objects === before.documents && inputs.skipped.length > before.skipped) inputs.unusable.push(where(inputs.skipped[before.skipped]!));
}

function read(inputs: Inputs, file: string, text: string, options: WalkOptions): void {
  inputs.files++;
  // Helm templates are Go templates, not YAML; rendered, they are judged like any manifest.
  if (text.includes('{{') && inChartTemplates(file)) {
    inputs.skipped.push({ file, reason: HELM_TEMPLATE });
    return;
  }
  const errorsBefore = inputs.errors.length;
  for (const entry of manifestEntries(text, file, options.only)) {
    if (entry.type === 'document') {
      inputs.objects++;
      if (options.onDocument) options.onDocument(entry.document);
      else inputs.documents.push(entry.document);
    } else if (entry.type === 'skipped') {
      inputs.skipped.push(entry.note);
    } else if (entry.type === 'error') {
      inputs.errors.push(entry.note);
    } else {
      inputs.notices.push(entry.note);
    }
  }
  // A file that names an apiVersion and a kind is meant to be applied: when part of it cannot
  // be read, something may go unjudged, so the run is no verdict even without --strict.
  const errors = inputs.errors.slice(errorsBefore);
  if (errors.length && !inputs.named.has(file) && looksLikeManifest(text)) for (const e of errors) inputs.unusable.push(`${where(e)} (the file holds apiVersion and kind: fix it, or --exclude it)`);
}

/** `apiVersion:` and `kind:` as keys somewhere in the text (also in JSON and flow style). */
export function looksLikeManifest(text: string): boolean {
  if (text.includes('"apiVersion"') && text.includes('"kind"')) return true;
  let apiVersion = false;
  let kind = false;
  // A scan of line starts rather than a regular expression: linear by construction.
  for (const line of text.split('\n')) {
    let i = 0;
    while (i < line.length && ' \t-{,'.includes(line[i]!)) i++;
    if (line[i] === '"' || line[i] === "'") i++;
    const key = line.startsWith('apiVersion', i) ? 'apiVersion' : line.startsWith('kind', i) ? 'kind' : undefined;
    if (!key) continue;
    let j = i + key.length;
    if (line[j] === '"' || line[j] === "'") j++;
    while (line[j] === ' ' || line[j] === '\t') j++;
    if (line[j] !== ':') continue;
    if (key === 'apiVersion') apiVersion = true;
    else kind = true;
    if (apiVersion && kind) return true;
  }
  return false;
}

/** A NUL among the first 8000 bytes, git's test for a binary file. */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

/**
 * The file's text, or undefined for a binary file. The head is looked at first, so a huge file
 * is held once, as text, rather than also as a buffer of its bytes.
 */
function readText(path: string): string | undefined {
  const head = new Uint8Array(8000);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return isBinary(head.subarray(0, n)) ? undefined : readFileSync(path, 'utf8');
}

export const BINARY_FILE = 'binary file, skipped';

function walk(inputs: Inputs, dir: string, root: string, exclude: readonly string[], options: WalkOptions): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    inputs.errors.push({ file: dir, reason: `cannot be listed: ${(err as Error).message}` });
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kustomization = entries.find((e) => KUSTOMIZATION_FILES.includes(e.name) && !e.isDirectory());
  if (kustomization) readKustomization(inputs, join(dir, kustomization.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (inputs.kustomizePatches.has(resolve(path))) {
      inputs.files++;
      inputs.skipped.push({ file: path, reason: inputs.kustomizePatches.get(resolve(path))! });
      continue;
    }
    const rel = relative(root, path).split(sep).join('/');
    // A symbolic link to a directory is not followed: links can loop, and a checkout's links
    // point inside the tree, which the walk reaches anyway.
    if (entry.isDirectory()) {
      if (!IGNORED_DIRECTORIES.has(entry.name) && !isExcluded(rel, exclude)) walk(inputs, path, root, exclude, options);
      continue;
    }
    if (!MANIFEST_FILE.test(entry.name) || isExcluded(rel, exclude)) continue;
    if (entry.isSymbolicLink() && !isFile(path)) continue;
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    let text: string | undefined;
    try {
      text = readText(path);
    } catch (err) {
      inputs.files++;
      inputs.errors.push({ file: path, reason: `cannot be read: ${(err as Error).message}` });
      continue;
    }
    if (text === undefined) {
      inputs.files++;
      inputs.skipped.push({ file: path, reason: BINARY_FILE });
      continue;
    }
    read(inputs, path, text, options);
  }
}

/** The names kustomize looks for in a directory. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * The fields of a kustomization whose files are not objects to apply but edits of other
 * objects or configuration: a patch judged as a whole object would be a partial Deployment in
 * `default`. Entries are file paths, or maps with a `path`.
 */
const PATCH_FIELDS = ['patches', 'patchesStrategicMerge', 'patchesJson6902', 'replacements', 'transformers', 'generators', 'validators', 'configurations', 'crds'];

/**
 * Notes the patch files a kustomization names, so the walk skips them with the command that
 * renders the overlay. Its `resources` are files like any other and are judged where they are.
 */
function readKustomization(inputs: Inputs, file: string): void {
  let k: unknown;
  try {
    k = parse(readFileSync(file, 'utf8'), { logLevel: 'silent' });
  } catch {
    return; // reported as a YAML error when the walk reads it
  }
  if (typeof k !== 'object' || k === null) return;
  const dir = dirname(file);
  const hint = `a kustomize patch or configuration of ${file}: not an object to judge on its own; judge the rendered overlay (kubectl kustomize ${dir} | extguard check -)`;
  for (const field of PATCH_FIELDS) {
    const list = (k as Record<string, unknown>)[field];
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const path = typeof entry === 'string' ? entry : (entry as { path?: unknown } | null)?.path;
      // An inline patch (a string holding YAML) names no file.
      if (typeof path === 'string' && !path.includes('\n')) inputs.kustomizePatches.set(resolve(dir, path), hint);
    }
  }
  inputs.notices.push({ file, reason: `a kustomize directory: its resources are judged as files, its patches are not (judge the rendered overlay: kubectl kustomize ${dir} | extguard check -)`, code: 'KUSTOMIZE' });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Inside `templates/` of a directory holding a Chart.yaml, as Helm lays charts out. */
function inChartTemplates(file: string): boolean {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (basename(dir) === 'templates' && existsSync(join(dirname(dir), 'Chart.yaml'))) return true;
  }
  return false;
}

/** `./deploy/` means `deploy`: patterns are written relative to the directory walked. */
function normalizePattern(pattern: string): string {
  let p = pattern.startsWith('./') ? pattern.slice(2) : pattern;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

/**
 * gitignore's rule of thumb: a pattern without `/` names a file or directory at any depth
 * (`*.json`, `fixtures`); one with `/` is a path relative to the directory walked
 * (`deploy/legacy`, `test/fixtures/*.yaml`). Glob syntax is Node's `path.matchesGlob`, on
 * `/`-separated paths whatever the platform, so a CI pattern means the same everywhere.
 */
export function isExcluded(rel: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p.includes('/') ? posix.matchesGlob(rel, p) : posix.matchesGlob(posix.basename(rel), p)) return true;
  }
  return false;
}

/** `file:line: reason`, as compilers print. */
export function where(note: FileNote): string {
  return `${note.file}${note.line ? `:${note.line}` : ''}: ${note.reason}`;
}
