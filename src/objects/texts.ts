// Every text a container carries to a program or a server, as the program will see it:
// env values, command and args, probe and lifecycle exec commands, and HTTP headers the
// kubelet sends. Values are expanded the way the kubelet expands them (expand.ts), so a
// literal assembled from references is judged whole. The rules only ever see these texts.

import { isObject, type Json } from './json.ts';
import { expandReferences, maskPlaceholders, unforged, type ExpansionBudget, type Known } from './expand.ts';
import { ShapeError, type ContainerView, type WorkloadView } from './workload.ts';

type PodMetadata = WorkloadView['podMetadata'];
const NO_METADATA: PodMetadata = { annotations: {}, labels: {} };

/**
 * The text the downward API hands over for `fieldPath`, when it is one of the Pod's own
 * annotations or labels (written in the object, so judged like a literal); undefined otherwise.
 */
export function downwardText(fieldPath: unknown, meta: PodMetadata): string | undefined {
  return downward(fieldPath, meta)?.text;
}

/** The annotation or label the downward API hands over, with the key it is written under. */
function downward(fieldPath: unknown, meta: PodMetadata): { key: string; text: string } | undefined {
  if (typeof fieldPath !== 'string') return undefined;
  for (const [prefix, map] of [['metadata.annotations[', meta.annotations], ['metadata.labels[', meta.labels]] as const) {
    if (!fieldPath.startsWith(prefix) || !fieldPath.endsWith(']')) continue;
    const quotedKey = fieldPath.slice(prefix.length, -1);
    const q = quotedKey[0];
    if ((q !== "'" && q !== '"') || quotedKey.at(-1) !== q || quotedKey.length < 2) return undefined;
    const key = quotedKey.slice(1, -1);
    const text = map[key];
    return text === undefined ? undefined : { key, text };
  }
  return undefined;
}

/** Where a text lives inside one container. */
/**
 * `host`: a field that holds nothing but a host or an address (httpGet.host, nfs.server...);
 * `search`: a DNS search domain (dnsConfig.searches); `option`: a named setting of a volume
 * (CSI volumeAttributes, flexVolume options) or a downward-API file, judged by its name;
 * `probe-path`: the path and query of a probe's httpGet, which the kubelet requests as written.
 */
export type ScannedField = 'env' | 'command' | 'args' | 'exec' | 'header' | 'host' | 'search' | 'option' | 'probe-path';

/**
 * One string a rule may inspect. Values from valueFrom never become a ScannedText: what the
 * object does not hold, the rules cannot judge (and need not: it is not stored here).
 */
export interface ScannedText {
  field: ScannedField;
  /** Index within env, command, args, an exec command or a header list. */
  index: number;
  /** The env variable's name, or the HTTP header's name. */
  envName?: string;
  /**
   * Names the value was written under before it landed here, which say what it is as much as
   * envName does: the annotation or label key the downward API reads, the file it writes.
   */
  writtenAs?: readonly string[];
  /** As the container gets it: references expanded, unknown values and placeholders as OPAQUE. */
  value: string;
  /** Dotted field path, e.g. spec.containers[0].env[1].value or spec.containers[0].args[2]. */
  path: string;
  /** Texts with the same argv form one command line: "command" (command + args) or a probe's exec. */
  argv?: string;
  /** env indices of the variables whose values this text took through $(VAR). */
  refs?: number[];
  /** Where the value is kept when not in the object: `key "K" of ConfigMap ns/name` (only `check` knows the ConfigMap). */
  from?: string;
}

/**
 * The data of a ConfigMap in the workload's namespace, when the caller holds it (`check` with
 * the ConfigMap among its inputs); the webhook holds none, and judges each ConfigMap at its
 * own admission instead.
 */
export type ConfigMapData = (name: string) => Readonly<Record<string, string>> | undefined;

/** A sensitive-looking variable sourced from a ConfigMap: judged by name, since no value is here. */
export interface ConfigMapSourced {
  envName: string;
  path: string;
}

export interface ContainerTexts {
  texts: ScannedText[];
  fromConfigMap: ConfigMapSourced[];
}


const NO_VARS: ReadonlyMap<string, Known> = new Map();
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HOOKS = ['postStart', 'preStop'] as const;

function strings(v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ShapeError(`${path}: expected a list of strings`);
  return v as string[];
}

function object(v: unknown, path: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new ShapeError(`${path}: expected an object`);
  return v;
}

/** A probe or lifecycle handler: its exec command and httpGet headers. */
interface Handler { at: string; handler: Json }

function handlers(c: ContainerView): Handler[] {
  const out: Handler[] = [];
  for (const p of PROBES) {
    const h = object(c.container[p], `${c.path}.${p}`);
    if (h) out.push({ at: p, handler: h });
  }
  const lifecycle = object(c.container['lifecycle'], `${c.path}.lifecycle`);
  for (const k of HOOKS) {
    const h = object(lifecycle?.[k], `${c.path}.lifecycle.${k}`);
    if (h) out.push({ at: `lifecycle.${k}`, handler: h });
  }
  return out;
}

/**
 * The texts of one container, in the order the kubelet builds them: env first (each value
 * expanded with the variables defined before it), then command and args (expanded with the
 * whole environment), then probe and lifecycle exec commands, then HTTP headers (sent as
 * written). The kubelet expands probe commands with static values only and lifecycle commands
 * not at all; they are expanded here like command and args anyway, a superset: the literal
 * parts are judged either way, and a value assembled through $(VAR) is judged whole.
 */
export function containerTexts(c: ContainerView, budget: ExpansionBudget, meta: PodMetadata = NO_METADATA, configMaps?: ConfigMapData): ContainerTexts {
  const texts: ScannedText[] = [];
  const fromConfigMap: ConfigMapSourced[] = [];
  const vars = new Map<string, Known>();
  // envFrom comes first: the kubelet sets those variables, then env overrides them. Each key of
  // a ConfigMap at hand becomes a variable (prefix applied) holding its value; they take
  // negative indices so that they never stand for an env entry.
  const envFrom = c.container['envFrom'];
  if (configMaps && Array.isArray(envFrom)) {
    let fromIndex = -1;
    envFrom.forEach((source: unknown, i) => {
      if (!isObject(source) || !isObject(source['configMapRef']) || typeof source['configMapRef']['name'] !== 'string') return;
      const name = source['configMapRef']['name'];
      const data = configMaps(name);
      if (!data) return;
      const prefix = typeof source['prefix'] === 'string' ? source['prefix'] : '';
      for (const [key, raw] of Object.entries(data)) {
        if (typeof raw !== 'string' || key.includes('=')) continue;
        const envName = prefix + key;
        const value = maskPlaceholders(unforged(raw));
        const index = fromIndex--;
        vars.set(envName, { value, index });
        if (value !== '') texts.push({ field: 'env', index, envName, value, path: `${c.path}.envFrom[${i}].configMapRef[${JSON.stringify(key)}]`, from: `key ${JSON.stringify(key)} of ConfigMap ${name}` });
      }
    });
  }
  const env = c.container['env'];
  if (Array.isArray(env)) {
    env.forEach((e: Json, index) => {
      const name = e['name'] as string;
      const value = e['value'];
      const valueFrom = e['valueFrom'];
      const fieldRef = isObject(valueFrom) && isObject(valueFrom['fieldRef']) ? valueFrom['fieldRef'] : undefined;
      const handed = fieldRef ? downward(fieldRef['fieldPath'], meta) : undefined;
      if (handed !== undefined) {
        // The Pod's own annotation or label, handed over as this variable: a literal written in
        // the object, judged in the place it lands (its variable's name) and under the key it
        // was written with (`db-password`), never expanded.
        const value = maskPlaceholders(unforged(handed.text));
        vars.set(name, { value, index });
        if (value !== '') texts.push({ field: 'env', index, envName: name, writtenAs: [handed.key], value, path: `${c.path}.env[${index}].valueFrom.fieldRef` });
        return;
      }
      const keyRef = isObject(valueFrom) && isObject(valueFrom['configMapKeyRef']) ? valueFrom['configMapKeyRef'] : undefined;
      const held = keyRef && typeof keyRef['name'] === 'string' && typeof keyRef['key'] === 'string' ? configMaps?.(keyRef['name']) : undefined;
      if (keyRef && held && Object.hasOwn(held, keyRef['key'] as string) && typeof held[keyRef['key'] as string] === 'string') {
        // The ConfigMap is at hand: its value is judged under this variable's name, like a literal.
        const value = maskPlaceholders(unforged(held[keyRef['key'] as string]!));
        vars.set(name, { value, index });
        if (value !== '') texts.push({ field: 'env', index, envName: name, value, path: `${c.path}.env[${index}].valueFrom.configMapKeyRef`, from: `key ${JSON.stringify(keyRef['key'])} of ConfigMap ${keyRef['name'] as string}` });
        return;
      }
      if (valueFrom != null) {
        vars.set(name, { value: undefined, index });
        if (isObject(valueFrom) && valueFrom['configMapKeyRef'] != null) {
          fromConfigMap.push({ envName: name, path: `${c.path}.env[${index}].valueFrom.configMapKeyRef` });
        }
        return;
      }
      const raw = typeof value === 'string' ? value : '';
      const refs: number[] = [];
      const expanded = expandReferences(raw, vars, budget, (i) => refs.push(i));
      vars.set(name, { value: expanded, index });
      if (expanded === '') return;
      texts.push({ field: 'env', index, envName: name, value: maskPlaceholders(expanded), path: `${c.path}.env[${index}].value`, ...(refs.length ? { refs } : {}) });
    });
  }
  const argvText = (field: ScannedField, raw: string, index: number, path: string, argv: string): void => {
    const refs: number[] = [];
    const value = maskPlaceholders(expandReferences(raw, vars, budget, (i) => refs.push(i)));
    if (value !== '') texts.push({ field, index, value, path, argv, ...(refs.length ? { refs } : {}) });
  };
  for (const field of ['command', 'args'] as const) {
    strings(c.container[field], `${c.path}.${field}`).forEach((raw, i) => argvText(field, raw, i, `${c.path}.${field}[${i}]`, 'command'));
  }
  const hs = handlers(c);
  for (const { at, handler } of hs) {
    const exec = object(handler['exec'], `${c.path}.${at}.exec`);
    strings(exec?.['command'], `${c.path}.${at}.exec.command`)
      .forEach((raw, i) => argvText('exec', raw, i, `${c.path}.${at}.exec.command[${i}]`, at));
  }
  // The kubelet connects to these from the node, as written.
  for (const { at, handler } of hs) {
    for (const kind of ['httpGet', 'tcpSocket'] as const) {
      const h = object(handler[kind], `${c.path}.${at}.${kind}`);
      hostText(texts, h?.['host'], `${c.path}.${at}.${kind}.host`, budget);
    }
  }
  for (const { at, handler } of hs) {
    const http = object(handler['httpGet'], `${c.path}.${at}.httpGet`);
    // The path and its query are requested as written (`/healthz?access_token=…`).
    const path = http?.['path'];
    if (typeof path === 'string' && path !== '') texts.push({ field: 'probe-path', index: 0, value: maskPlaceholders(unforged(path)), path: `${c.path}.${at}.httpGet.path` });
    const headers = http?.['httpHeaders'];
    if (headers === undefined || headers === null) continue;
    if (!Array.isArray(headers)) throw new ShapeError(`${c.path}.${at}.httpGet.httpHeaders: expected a list`);
    headers.forEach((h: unknown, i) => {
      const path = `${c.path}.${at}.httpGet.httpHeaders[${i}]`;
      if (!isObject(h) || typeof h['name'] !== 'string' || typeof h['value'] !== 'string') throw new ShapeError(`${path}: expected a name and a value`);
      // The kubelet sends headers as written: a `$(VAR)` there is sent as those characters, which
      // carry no credential, so every reference is opaque (none is looked up).
      const value = maskPlaceholders(expandReferences(h['value'], NO_VARS, budget));
      if (value !== '') texts.push({ field: 'header', index: i, envName: h['name'], value, path: `${path}.value` });
    });
  }
  return { texts, fromConfigMap };
}

/** A field that is a host, judged as written (no $(VAR) expansion: references are opaque). */
function hostText(texts: ScannedText[], value: unknown, path: string, budget: ExpansionBudget, index = 0): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') throw new ShapeError(`${path}: expected a string`);
  const v = maskPlaceholders(expandReferences(value, NO_VARS, budget));
  if (v !== '') texts.push({ field: 'host', index, value: v, path });
}

/** Volume sources whose fields name a server outside the Pod: field -> single host or list. */
const NETWORK_VOLUMES: readonly [string, string, 'one' | 'list'][] = [
  ['nfs', 'server', 'one'], ['iscsi', 'targetPortal', 'one'], ['iscsi', 'portals', 'list'], ['gitRepo', 'repository', 'one'],
  ['cephfs', 'monitors', 'list'], ['rbd', 'monitors', 'list'], ['quobyte', 'registry', 'one'], ['scaleIO', 'gateway', 'one'],
];

/**
 * Pod-level fields that send traffic somewhere: hostAliases (a name pinned to an address,
 * past any declaration), dnsConfig.nameservers, and network volumes, which the node mounts.
 */
export function podTexts(view: WorkloadView, budget: ExpansionBudget): ScannedText[] {
  const texts: ScannedText[] = [];
  const spec = view.podSpec;
  const at = view.specPath;
  const aliases = spec['hostAliases'];
  if (aliases !== undefined && aliases !== null) {
    if (!Array.isArray(aliases)) throw new ShapeError(`${at}.hostAliases: expected a list`);
    aliases.forEach((a: unknown, i) => hostText(texts, object(a, `${at}.hostAliases[${i}]`)?.['ip'], `${at}.hostAliases[${i}].ip`, budget, i));
  }
  const dns = object(spec['dnsConfig'], `${at}.dnsConfig`);
  strings(dns?.['nameservers'], `${at}.dnsConfig.nameservers`).forEach((ns, i) => hostText(texts, ns, `${at}.dnsConfig.nameservers[${i}]`, budget, i));
  strings(dns?.['searches'], `${at}.dnsConfig.searches`).forEach((d, i) => {
    if (d !== '') texts.push({ field: 'search', index: i, value: unforged(d), path: `${at}.dnsConfig.searches[${i}]` });
  });
  const volumes = spec['volumes'];
  if (volumes !== undefined && volumes !== null) {
    if (!Array.isArray(volumes)) throw new ShapeError(`${at}.volumes: expected a list`);
    volumes.forEach((v: unknown, i) => {
      const volume = object(v, `${at}.volumes[${i}]`);
      volumeOptions(texts, volume, `${at}.volumes[${i}]`, view.podMetadata);
      for (const [source, field, shape] of NETWORK_VOLUMES) {
        const src = object(volume?.[source], `${at}.volumes[${i}].${source}`);
        if (!src) continue;
        const path = `${at}.volumes[${i}].${source}.${field}`;
        if (shape === 'one') hostText(texts, src[field], path, budget, i);
        else strings(src[field], path).forEach((h, j) => hostText(texts, h, `${path}[${j}]`, budget, j));
      }
    });
  }
  return texts;
}

/** CSI drivers whose attributes name a server, and which: the SMB driver's `source` is `//host/share`. */
const CSI_HOST_ATTRIBUTES: Record<string, readonly string[]> = {
  'smb.csi.k8s.io': ['source'],
  'nfs.csi.k8s.io': ['server'],
};

/**
 * Settings of a volume that may name a server: CSI `volumeAttributes` and `flexVolume.options`
 * (judged by each key's name, and the SMB and NFS drivers' own keys as hosts), and the files
 * a `downwardAPI` volume (or a projected one) writes from the Pod's own annotations and labels.
 */
function volumeOptions(texts: ScannedText[], volume: Json | undefined, at: string, meta: PodMetadata): void {
  if (!volume) return;
  const csi = object(volume['csi'], `${at}.csi`);
  const driver = typeof csi?.['driver'] === 'string' ? csi['driver'] : '';
  const options = (map: Json | undefined, path: string, hostKeys: readonly string[] = []): void => {
    if (!map) return;
    for (const [key, value] of Object.entries(map)) {
      if (typeof value !== 'string' || value === '') continue;
      const p = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      texts.push(hostKeys.includes(key)
        ? { field: 'host', index: 0, value: unforged(value), path: p }
        : { field: 'option', index: 0, envName: key, value: unforged(value), path: p });
    }
  };
  options(object(csi?.['volumeAttributes'], `${at}.csi.volumeAttributes`), `${at}.csi.volumeAttributes`, CSI_HOST_ATTRIBUTES[driver]);
  options(object(object(volume['flexVolume'], `${at}.flexVolume`)?.['options'], `${at}.flexVolume.options`), `${at}.flexVolume.options`);
  const downwardItems = (items: unknown, path: string): void => {
    if (!Array.isArray(items)) return;
    items.forEach((item: unknown, j) => {
      if (!isObject(item) || !isObject(item['fieldRef']) || typeof item['path'] !== 'string') return;
      const handed = downward(item['fieldRef']['fieldPath'], meta);
      if (handed === undefined || handed.text === '') return;
      // A file is a host only to a program that opens it, and nothing says which one does or
      // how (a variable's name is a convention programs read; a file's is not): judged by shape.
      // A credential is one whatever reads it: the file's name (`db/password`) and the key it
      // was written under say so.
      texts.push({ field: 'option', index: j, writtenAs: [item['path'], handed.key], value: maskPlaceholders(unforged(handed.text)), path: `${path}[${j}].fieldRef` });
    });
  };
  downwardItems(object(volume['downwardAPI'], `${at}.downwardAPI`)?.['items'], `${at}.downwardAPI.items`);
  const projected = object(volume['projected'], `${at}.projected`);
  if (Array.isArray(projected?.['sources'])) {
    (projected['sources'] as unknown[]).forEach((src, k) => {
      if (isObject(src) && isObject(src['downwardAPI'])) downwardItems(src['downwardAPI']['items'], `${at}.projected.sources[${k}].downwardAPI.items`);
    });
  }
}
