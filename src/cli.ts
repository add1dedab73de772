// extguard's command line: serve, check, mutate, certs, egress. Each command turns flags and files
// into the same inputs the webhook uses, and the judge's output into text, JSON or YAML.

import { KUBECTL_YAML } from './objects/yaml-out.ts';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { homedir } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { catalogFromDocuments, InputError, readManifests, type ManifestDocument } from './catalog/files.ts';
import { ConfigError, DEFAULT_CONFIG } from './config/config.ts';
import { loadPolicyFile } from './config/watch.ts';
import { checkManifests, CheckSession, formatText, JsonReportWriter, mayHoldState, mutateManifests, STATE_KINDS, textResult, TOO_COMPLEX, type CheckResult, type CheckRun } from './cli/report.ts';
import { readInputs, where, type Inputs } from './cli/walk.ts';
import { EGRESS_FORMATS, exportEgress, type EgressFormat } from './egress/export.ts';
import { unexpressible } from './egress/networkpolicy.ts';
import { MODES, type Mode } from './policy/types.ts';
import { buildReports, formatReports } from './cli/policyreport.ts';
import { nativePolicies } from './native/policies.ts';
import { stringify as toYaml } from 'yaml';
import { buildSarif } from './cli/sarif.ts';
import { ExpansionLimitError } from './objects/expand.ts';
import { ShapeError } from './objects/workload.ts';
import { createLogger } from './log.ts';
import { compilePolicy, type Policy } from './policy/judge.ts';
import { DEFAULT_BODY_LIMIT } from './server/app.ts';
import { DEFAULT_EDGE_LIMITS, EdgeLimitsError } from './server/edge.ts';
import { DEFAULT_JUDGE_TIMEOUT_MS } from './server/defaults.ts';
import { issueServingCertificate, serviceDnsNames } from './tls/files.ts';

const EXIT_OK = 0;
const EXIT_DENIED = 1;
const EXIT_UNUSABLE = 2;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function intBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function policyFrom(configPath: string | undefined): Policy {
  return configPath ? loadPolicyFile(configPath) : compilePolicy(DEFAULT_CONFIG);
}

/** A file's text read again (or stdin's, as kept), for outputs that point into it: undefined when it cannot be read. */
function inputText(stdin: () => string | undefined): (file: string) => string | undefined {
  return (file) => {
    if (file === '<stdin>') return stdin();
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
}

function declarationsFrom(path: string | undefined): ManifestDocument[] {
  return path ? readManifests([path]) : [];
}

/** Errors the user can fix: one line on stderr, exit 2, no stack trace. */
function isUsageError(err: unknown): err is Error {
  return err instanceof InputError || err instanceof ConfigError || err instanceof ShapeError || err instanceof ExpansionLimitError || err instanceof EdgeLimitsError;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Where the client library looks for a kubeconfig without --kubeconfig, and whether anything is
 * there. With nothing found it falls back to http://localhost:8080, which only confuses.
 */
function defaultKubeconfigFound(): { found: boolean; looked: string } {
  const env = process.env['KUBECONFIG'];
  const home = join(homedir(), '.kube', 'config');
  const envFiles = (env ?? '').split(delimiter).filter(Boolean);
  const inCluster = process.env['KUBERNETES_SERVICE_HOST'] !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN);
  const found = envFiles.some((f) => existsSync(f)) || (!envFiles.length && existsSync(home)) || inCluster;
  const looked = [
    env ? `$KUBECONFIG (${envFiles.join(delimiter)}: not found)` : '$KUBECONFIG (unset)',
    ...(envFiles.length ? [] : [`${home} (not found)`]),
    'the in-cluster service account (not running in a Pod)',
  ].join(', ');
  return { found, looked };
}

async function clusterDocuments(kubeconfig?: string): Promise<ManifestDocument[]> {
  // Loaded only here and in `serve`: with the client loaded, `check` on a 50 MB input peaked at
  // 617 MB RSS instead of 375 MB (test/integration/check-huge.test.ts), and it needs none of it.
  const { KubeConfig } = await import('./kube/client.ts');
  const kc = new KubeConfig();
  if (kubeconfig) {
    kc.loadFromFile(kubeconfig);
  } else {
    const { found, looked } = defaultKubeconfigFound();
    if (!found) throw new InputError(`no kubeconfig found: looked at ${looked}; give --kubeconfig FILE`);
    kc.loadFromDefault();
  }
  try {
    // Lazily: cluster.ts needs the client's generated API, which `serve` must not load.
    const { readCluster } = await import('./cli/cluster.ts');
    return await readCluster(kc);
  } catch (err) {
    const e = err as { code?: number; message?: string };
    throw new InputError(`cannot read the cluster ${kc.getCurrentCluster()?.server ?? '(no current cluster)'}: ${e.code ?? ''} ${(e.message ?? String(err)).split('\n')[0]}`.replace(/  +/g, ' '));
  }
}

/** extguard's version, as package.json says (src/cli.ts and dist/cli.js both sit one level below it). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const program = new Command('extguard')
  .description('Kubernetes admission webhook: declared external services, no plaintext credentials.')
  .version(packageVersion(), '-V, --version', 'print the version (package.json) and exit')
  .showHelpAfterError()
  .exitOverride();

program
  .command('serve')
  .description('run the webhook (HTTPS) and the metrics endpoint (HTTP)')
  .addOption(new Option('--port <port>', 'HTTPS port for /mutate, /validate, /healthz, /readyz').default(8443).argParser(port))
  .addOption(new Option('--metrics-port <port>', 'plain-HTTP port for /metrics').default(9090).argParser(port))
  .option('--bind-address <address>', 'address to listen on', '0.0.0.0')
  .option('--tls-cert <file>', 'serving certificate (PEM); without it a development pair is created under certs/')
  .option('--tls-key <file>', 'serving key (PEM)')
  .option('--config <file>', 'cluster configuration (YAML), hot reloaded')
  .option('--kubeconfig <file>', 'watch Services and Namespaces of this cluster')
  .option('--declarations <file>', 'YAML of Services and Namespaces to serve without a cluster')
  .option('--webhook-configuration <name>', "once Ready, give the webhooks of the Mutating- and ValidatingWebhookConfiguration <name> the failurePolicy of their extguard.io/failure-policy annotation; as the last Ready replica to stop, set them to Ignore (needs the cluster)")
  .addOption(new Option('--max-body-bytes <n>', 'largest AdmissionReview accepted (default: a 3 MiB object twice, plus the review)').default(DEFAULT_BODY_LIMIT).argParser(positiveInt))
  .addOption(new Option('--max-inflight-bytes <n>', 'admission body bytes read and parsed at once; beyond it a request gets 503 (default: --max-body-bytes plus 4 MiB)').argParser(positiveInt))
  .addOption(new Option('--shutdown-timeout <seconds>', 'how long in-flight requests may finish after SIGTERM').default(20).argParser(positiveInt))
  .addOption(new Option('--headers-timeout <ms>', "cut a connection that has not sent a request's headers within this time").default(DEFAULT_EDGE_LIMITS.headersTimeoutMs).argParser(positiveInt))
  .addOption(new Option('--request-timeout <ms>', 'cut a connection that has not sent a whole request within this time').default(DEFAULT_EDGE_LIMITS.requestTimeoutMs).argParser(positiveInt))
  .addOption(new Option('--tls-handshake-timeout <ms>', 'cut a connection that has not finished its TLS handshake within this time').default(DEFAULT_EDGE_LIMITS.handshakeTimeoutMs).argParser(positiveInt))
  .addOption(new Option('--judge-workers <n>', 'worker threads that judge reviews, off the thread that serves HTTP (default: 2, or 1 where the process has one core or a CPU limit of at most one)').argParser(intBetween(1, 16)))
  // Above 30 s the API server has given up anyway (its webhook timeout is at most 30 s).
  .addOption(new Option('--judge-timeout <ms>', 'answer a review not judged within this time (enforce denies, warn/audit allow with a warning); keep it below the webhook timeoutSeconds').default(DEFAULT_JUDGE_TIMEOUT_MS).argParser(intBetween(50, 30_000)))
  .action(async (o: { port: number; metricsPort: number; bindAddress: string; tlsCert?: string; tlsKey?: string; config?: string; kubeconfig?: string; declarations?: string; webhookConfiguration?: string; maxBodyBytes: number; maxInflightBytes?: number; shutdownTimeout: number; headersTimeout: number; requestTimeout: number; tlsHandshakeTimeout: number; judgeWorkers?: number; judgeTimeout: number }) => {
    const logger = createLogger();
    // Inside a Pod with neither flag, the cluster is the one we run in.
    const inCluster = !o.kubeconfig && !o.declarations && process.env['KUBERNETES_SERVICE_HOST'] !== undefined;
    const { serve } = await import('./server/serve.ts');
    const server = await serve({
      port: o.port,
      metricsPort: o.metricsPort,
      bindAddress: o.bindAddress,
      ...(o.tlsCert ? { tlsCert: o.tlsCert } : {}),
      ...(o.tlsKey ? { tlsKey: o.tlsKey } : {}),
      ...(o.config ? { config: o.config } : {}),
      ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
      ...(o.declarations ? { declarations: o.declarations } : {}),
      ...(o.webhookConfiguration ? { webhookConfiguration: o.webhookConfiguration } : {}),
      inCluster,
      bodyLimit: o.maxBodyBytes,
      ...(o.maxInflightBytes ? { inflightBytes: o.maxInflightBytes } : {}),
      shutdownTimeoutMs: o.shutdownTimeout * 1000,
      edge: { headersTimeoutMs: o.headersTimeout, requestTimeoutMs: o.requestTimeout, handshakeTimeoutMs: o.tlsHandshakeTimeout },
      judgeWorkers: o.judgeWorkers,
      judgeTimeoutMs: o.judgeTimeout,
    }, logger);
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
      server.close().then(() => { logger.flush(); process.exit(0); }, () => process.exit(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

/** Repeatable option: each use adds one value. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Why a `check` run is not a verdict (exit 2), one line each. A file named on the command line
 * (or stdin) must be usable as a whole; a file found by walking a directory that cannot be
 * read fails the run when it holds `apiVersion:` and `kind:` (walk.ts), and otherwise only
 * under --strict, since repositories keep YAML that is not meant to parse (test fixtures,
 * other template languages). An object too complex to judge always fails it:
 * the webhook would not admit it as judged either. Nothing to judge at all fails it too, so a
 * wrong path in CI does not pass quietly.
 */
function unusableReasons(run: CheckRun, inputs: Inputs | undefined, o: { strict?: boolean; cluster?: boolean; skipNonKubernetes?: boolean }): string[] {
  const reasons = new Set(inputs?.unusable ?? []);
  const readErrors = inputs?.errors.length ?? 0;
  run.report.errors.forEach((e, i) => {
    const fromJudge = i >= readErrors;
    const already = [...reasons].some((r) => r.startsWith(`${where(e)} (`));
    if (!already && (o.strict || o.cluster || e.code === TOO_COMPLEX || (fromJudge && inputs?.named.has(e.file)))) reasons.add(where(e));
  });
  if (inputs && !reasons.size && inputs.objects === 0 && (inputs.errors.length || (inputs.skipped.length && !o.skipNonKubernetes))) {
    reasons.add(`no Kubernetes object in the inputs: ${inputs.skipped.length} document(s) skipped, ${inputs.errors.length} error(s)`);
  }
  return [...reasons];
}

program
  .command('check')
  .description('judge manifests offline exactly as the webhook would; exit 0 allowed, 1 denied, 2 unusable input')
  .argument('[paths...]', 'files or directories of YAML/JSON manifests, or - for stdin')
  .option('--config <file>', 'cluster configuration (YAML)')
  .option('--declarations <file>', 'YAML of Services and Namespaces that count as cluster state')
  .option('--trust-inputs', 'let ExternalName Services and Namespace mode labels among the inputs count as cluster state (by default they cannot lower the verdict)')
  .option('--exclude <glob>', 'when walking a directory, skip files and directories matching GLOB (repeatable; without "/" it matches a name at any depth, with "/" a path relative to the directory)', collect, [])
  .option('--strict', 'exit 2 when any file found in a directory cannot be read or judged (by default it is reported and the run exits by its verdict)')
  .option('--skip-non-kubernetes', 'a named file holding no Kubernetes object (a CI config) is skipped with a notice instead of failing the run (exit 2); the pre-commit hook passes it')
  .option('--cluster', 'judge the workloads running in the cluster (kubeconfig) instead of files')
  .option('--kubeconfig <file>', 'with --cluster: kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
  .addOption(new Option('--format <format>', 'output format: text, json, sarif (SARIF 2.1.0, docs/ci.md) or policyreport (OpenReports Report objects, docs/reports.md)').choices(['text', 'json', 'sarif', 'policyreport']).default('text'))
  .action(async (paths: string[], o: { config?: string; declarations?: string; trustInputs?: boolean; exclude: string[]; strict?: boolean; skipNonKubernetes?: boolean; cluster?: boolean; kubeconfig?: string; format: 'text' | 'json' | 'sarif' | 'policyreport' }) => {
    const policy = policyFrom(o.config);
    if (o.cluster && paths.length) throw new InputError('give either --cluster or manifest paths, not both');
    if (!o.cluster && !paths.length) throw new InputError('check needs manifest paths, or --cluster');
    // Kept for the second pass and for SARIF, which points at lines of what was read; stdin cannot be read twice.
    let stdinText: string | undefined;
    const stdin = (): string => (stdinText ??= readFileSync(0, 'utf8'));
    let inputs: Inputs | undefined;
    let run: CheckRun;
    let json: JsonReportWriter | undefined;
    if (o.cluster) {
      // The cluster's own objects are its state; files are what the gate is gating.
      run = checkManifests(await clusterDocuments(o.kubeconfig), declarationsFrom(o.declarations), policy, true);
    } else {
      // Two passes, so that no input is held whole: first the Services, Namespaces and
      // ConfigMaps (the state every object is judged against; pieces that cannot hold one are
      // not even parsed), then each object judged as it is read.
      const state: ManifestDocument[] = [];
      readInputs(paths, { exclude: o.exclude, stdin, only: mayHoldState, onDocument: (d) => { if (STATE_KINDS.has(String(d.object['kind']))) state.push(d); } });
      // Text and JSON are written result by result, so a huge input's results are not all held.
      const write = (chunk: string): void => void process.stdout.write(chunk);
      json = o.format === 'json' ? new JsonReportWriter(write) : undefined;
      const onResult = o.format === 'text' ? (r: CheckResult, at: string | undefined) => write(textResult(r, at)) : json ? (r: CheckResult) => json!.result(r) : undefined;
      const session = new CheckSession(state, declarationsFrom(o.declarations), policy, o.trustInputs === true, onResult);
      inputs = readInputs(paths, { exclude: o.exclude, skipNonKubernetes: o.skipNonKubernetes === true, stdin, onDocument: (d) => session.add(d) });
      run = session.finish(inputs);
    }
    const unusable = unusableReasons(run, inputs, o);
    if (o.format === 'sarif') {
      const textOf = inputText(() => stdinText);
      process.stdout.write(JSON.stringify(buildSarif(run, { version: packageVersion(), cwd: process.cwd(), textOf, unusable }), null, 2) + '\n');
    } else if (o.format === 'policyreport') {
      process.stdout.write(formatReports(buildReports(run, new Date())));
    } else {
      // Results already written as they came are not in run.report; the rest of it is.
      if (o.format === 'json') (json ?? new JsonReportWriter((c) => void process.stdout.write(c))).end(run.report);
      else process.stdout.write(formatText(run));
    }
    if (o.skipNonKubernetes && inputs) {
      for (const s of inputs.skipped) if (inputs.named.has(s.file)) process.stderr.write(`extguard: skipped ${where(s)}\n`);
    }
    for (const reason of unusable) process.stderr.write(`extguard: ${reason}\n`);
    process.exitCode = unusable.length ? EXIT_UNUSABLE : run.report.summary.denied > 0 ? EXIT_DENIED : EXIT_OK;
  });

program
  .command('mutate')
  .description('print the manifests as the mutating webhook would leave them')
  .argument('<paths...>', 'files or directories of YAML/JSON manifests, or - for stdin')
  .option('--config <file>', 'cluster configuration (YAML)')
  .option('--declarations <file>', 'YAML of Services and Namespaces that count as cluster state')
  .option('--trust-inputs', 'let Namespace mode labels among the inputs count as cluster state')
  .action((paths: string[], o: { config?: string; declarations?: string; trustInputs?: boolean }) => {
    let stdinText: string | undefined;
    const inputs = readManifests(paths, () => (stdinText = readFileSync(0, 'utf8')));
    // The texts again, so each document is printed from its own parse tree, comments and all.
    const textOf = inputText(() => stdinText);
    const { yaml, notes } = mutateManifests(inputs, declarationsFrom(o.declarations), policyFrom(o.config), o.trustInputs === true, textOf);
    for (const n of notes) process.stderr.write(`warning: ${n}\n`);
    process.stdout.write(yaml);
  });

program
  .command('certs')
  .description("create a CA and a serving certificate for the webhook Service's DNS names; print the caBundle")
  .option('--service <name>', 'webhook Service name', 'extguard')
  .option('--namespace <ns>', 'webhook namespace', 'extguard-system')
  .option('--dns-name <name...>', 'extra DNS names for the certificate')
  .option('--ip <address...>', 'IP addresses for the certificate (e.g. 127.0.0.1 for a local webhook)')
  .addOption(new Option('--days <n>', 'validity in days').default(365).argParser(positiveInt))
  .option('--out-dir <dir>', 'where to write ca.crt, tls.crt, tls.key', 'certs')
  .option('--kustomize <dir>', 'a self-signed kustomize overlay (manifests/self-signed): write the certificates to <dir>/certs and the caBundle into <dir>/cabundle-patch.yaml')
  .option('--new-ca', 'replace the CA in the output directory even though it is still valid')
  .action(async (o: { service: string; namespace: string; dnsName?: string[]; ip?: string[]; days: number; outDir: string; kustomize?: string; newCa?: boolean }) => {
    let patchFile: string | undefined;
    if (o.kustomize) {
      patchFile = join(o.kustomize, 'cabundle-patch.yaml');
      if (!existsSync(patchFile)) throw new InputError(`${patchFile} not found: --kustomize expects a directory like manifests/self-signed`);
    }
    const dir = o.kustomize ? join(o.kustomize, 'certs') : o.outDir;
    const issued = await issueServingCertificate(dir, {
      dnsNames: [...serviceDnsNames(o.service, o.namespace), ...(o.dnsName ?? [])],
      ipAddresses: o.ip ?? [],
      days: o.days,
      ...(o.newCa ? { newCa: true } : {}),
    });
    const caBundle = Buffer.from(issued.caBundlePem).toString('base64');
    const { files } = issued;
    process.stderr.write(`wrote ${files.caFile}, ${files.certFile}, ${files.keyFile}\n`);
    process.stderr.write({
      created: 'created a new CA\n',
      reused: `reused the CA in ${dir}: the caBundle is unchanged, applying only replaces the serving certificate\n`,
      replaced: `replaced the CA in ${dir}; the caBundle also trusts the previous CA until it expires, so Pods still serving the old certificate keep working\n`,
    }[issued.ca]);
    if (patchFile) {
      writeFileSync(patchFile, readFileSync(patchFile, 'utf8').replace(/^([ \t]*caBundle:).*$/gm, `$1 ${caBundle}`));
      process.stderr.write(`wrote caBundle into ${patchFile}\n`);
    }
    process.stdout.write(`caBundle: ${caBundle}\n`);
  });

/** `--modes enforce,warn`: the judged modes whose namespaces get an egress policy. */
function exportModes(value: string): Mode[] {
  const modes = value.split(',').map((m) => m.trim()).filter((m) => m !== '');
  const bad = modes.filter((m) => m === 'off' || !(MODES as readonly string[]).includes(m));
  if (!modes.length || bad.length) throw new InvalidArgumentError('expected a comma-separated list of enforce, warn, audit');
  return modes as Mode[];
}

program
  .command('egress')
  .description('print runtime egress policies (Cilium, Istio or NetworkPolicy) that allow each namespace exactly its declared external hosts')
  .addOption(new Option('--format <format>', 'policy kind').choices([...EGRESS_FORMATS]).makeOptionMandatory())
  .option('--declarations <file>', 'YAML of Services and Namespaces to export (instead of a cluster)')
  .option('--kubeconfig <file>', 'read Services and Namespaces from this cluster (default without --declarations: $KUBECONFIG or ~/.kube/config)')
  .option('--config <file>', 'cluster configuration (YAML): sharedNamespace, allowedHosts, modes, exemptNamespaces')
  .addOption(new Option('--modes <list>', 'namespace modes that get a policy (off and exempt namespaces never do)').default(['enforce'], 'enforce').argParser(exportModes))
  .option('--no-cluster-egress', 'cilium, networkpolicy: leave out the rule that allows egress inside the cluster (combine with your own in-cluster policies)')
  .option('--no-istio-sidecar', 'istio: leave out the REGISTRY_ONLY Sidecar per namespace (the mesh is REGISTRY_ONLY already)')
  .option('--cidr-only', 'networkpolicy: accept policies that allow only IP literals, leaving the declared host names unreachable where they are the only egress policy (without it, such output is refused)')
  .action(async (o: { format: EgressFormat; declarations?: string; kubeconfig?: string; config?: string; modes: Mode[]; clusterEgress: boolean; istioSidecar: boolean; cidrOnly?: boolean }) => {
    if (o.declarations && o.kubeconfig) throw new InputError('give either --declarations or --kubeconfig, not both');
    const policy = policyFrom(o.config);
    const documents = o.declarations ? readManifests([o.declarations]) : await clusterDocuments(o.kubeconfig);
    const result = exportEgress(catalogFromDocuments(documents), policy, { format: o.format, modes: o.modes, clusterEgress: o.clusterEgress, sidecar: o.istioSidecar });
    // A default-deny that blocks the declared names would break every workload that uses them:
    // printed only when the user says that is what they want.
    const missing = o.format === 'networkpolicy' ? unexpressible(result.plan) : [];
    if (missing.length && !o.cidrOnly) {
      throw new InputError(`a NetworkPolicy cannot name hosts, so this output would put ${missing.map((m) => `${m.namespace} (${m.hosts.join(', ')})`).join('; ')} in default-deny with their declared hosts unreachable. Use --format cilium or istio, which allow names, or add --cidr-only to accept IP-literal-only policies (docs/egress.md)`);
    }
    for (const note of result.notes) process.stderr.write(`extguard: ${note}\n`);
    process.stdout.write(result.yaml);
  });

/** `--kube-version 1.35`: the Kubernetes minor the native policies are written for. */
function kubeMinor(value: string): number {
  const m = /^v?1\.(\d{1,3})(?:\.\d+)?$/.exec(value.trim());
  const minor = m ? Number(m[1]) : NaN;
  if (!(minor >= 30)) throw new InvalidArgumentError('expected a Kubernetes version 1.30 or later, e.g. 1.36 (ValidatingAdmissionPolicy is GA since 1.30)');
  return minor;
}

program
  .command('policies')
  .description('print the native admission policies (ValidatingAdmissionPolicy, MutatingAdmissionPolicy, CEL run by the API server) generated from the configuration: the layer that holds while the webhook is down (docs/native.md)')
  .option('--config <file>', 'cluster configuration (YAML): defaultMode, exemptNamespaces, credentials, hosts, governance')
  .addOption(new Option('--kube-version <version>', 'the Kubernetes version to write for: 1.36+ (MutatingAdmissionPolicy v1), 1.34-1.35 (v1beta1, needs its feature gate), 1.30-1.33 (validating policies only)').default(36, '1.36').argParser(kubeMinor))
  .option('--namespace <name>', 'the namespace extguard runs in (its ServiceAccount alone may write Declarations)', 'extguard-system')
  .action((o: { config?: string; kubeVersion: number; namespace: string }) => {
    const policy = policyFrom(o.config);
    const objects = nativePolicies(policy.config, { target: { minor: o.kubeVersion }, namespace: o.namespace });
    process.stdout.write(objects.map((obj) => toYaml(obj, KUBECTL_YAML)).join('---\n'));
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT_OK : EXIT_UNUSABLE;
  } else if (isUsageError(err)) {
    process.stderr.write(`extguard: ${err.message}\n`);
    process.exitCode = EXIT_UNUSABLE;
  } else {
    process.stderr.write(`extguard: ${(err as Error).message ?? String(err)}\n`);
    process.exitCode = EXIT_UNUSABLE;
  }
}

