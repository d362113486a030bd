import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Listr, ListrLogger, ProcessOutput, createWritable } from 'listr2';
import { parse, stringify } from 'yaml';
import { argocdNamespace, liveApplications } from '../cluster/argocd-live.ts';
import { HomelabError } from '../model/errors.ts';
import * as helmRelease from '../cluster/helm-release.ts';
import type { ChartRef, WaitStrategy } from '../cluster/helm-release.ts';
import { formatInvocation, formatTail, invocation, streamInvocation, type Invocation } from '../exec/invocation.ts';
import { isUnreachable, kubectlArgs, unreachable, type KubeTarget } from '../cluster/kube.ts';
import { createMasker, type Masker } from '../exec/mask.ts';
import { failureLine } from '../exec/process.ts';
import { buildDependencies, renderRelease } from '../helm/render.ts';
import { chartName as upstreamChartName, fetchChart } from '../helm/chart-fetch.ts';
import { extractedChart } from '../helm/chart-cache.ts';
import { ageRecipients, discoverAgeKeys, openSecrets, parseMetadata, recipientOf, type KeyDiscovery } from '../secrets/index.ts';
import type { Release } from '../model/types.ts';
import { selectReleases, type Workspace } from '../resolve/workspace.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { DRY_RUN_BANNER, openTargets, type Write } from './cluster.ts';
import { applyChange, installFlags, prepareChange, upgradeOptions, upToDate, type HelmChange } from './install.ts';
import { chartAt, deploysArgoCD, requireCluster } from '../model/lookup.ts';

export interface BootstrapRequest {
  /** Cluster directory to bootstrap; needed only when the bootstrap chart is deployed to several. */
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  /** Print every step, its invocations and the rendered manifests (masked); touch nothing. */
  dryRun?: boolean;
  /** The chart installed right after ArgoCD (AppProject, namespaces). Default `system`. */
  bootstrapChart?: string;
  /** Helm repository (or oci:// registry) to fetch the argo-cd chart from into the chart cache, instead of the Application's (a mirror). */
  argocdChartRepo?: string;
  wait?: WaitStrategy;
  timeout?: string;
  /** Roll back releases stuck in pending-* first. */
  recover?: boolean;
  /** listr2 renderer; default: `default` on a terminal, else `simple`. */
  renderer?: 'default' | 'simple' | 'verbose' | 'silent';
}

/** Overrides the argo-cd chart repository (`argocdChartRepo` wins). */
export const ARGOCD_REPO_ENV = 'HOMELAB_ARGOCD_CHART_REPO';

const FIELD_MANAGER = 'homelab-bootstrap';

interface Step {
  title: string;
  /** What --dry-run prints for this step: its invocations and manifests, masked. */
  plan(): Promise<string>;
  run(log: Write): Promise<void>;
}

/**
 * From an empty cluster to ArgoCD syncing this repository: the age key Secret, ArgoCD from the chart the
 * repo declares, the bootstrap chart, then the root app-of-apps. Every step is an apply or an
 * `upgrade --install`: running it again converges to the same objects.
 */
export async function bootstrap(ws: Workspace, request: BootstrapRequest, write: Write): Promise<void> {
  const chartName = request.bootstrapChart ?? 'system';
  const systems = selectReleases(ws, chartName, request.cluster);
  const clusters = [...new Set(systems.map((r) => r.cluster))];
  if (clusters.length > 1) {
    throw new HomelabError(
      `chart ${chartName} is deployed to several clusters (${clusters.join(', ')})`,
      `pass --cluster <name> (nx run ${chartName}:bootstrap:<name>) to bootstrap one`,
    );
  }
  const system = systems[0];
  if (!system) {
    throw new HomelabError(`chart ${chartName} has no release in cluster ${request.cluster}`, `deploy it from clusters/${request.cluster}/apps/ first`);
  }
  const cluster = requireCluster(ws.resolution.clusters, system.cluster);
  const flags = { ...installFlags(request), recover: request.recover };

  // Preflight: everything that can refuse does so before the cluster is touched.
  const target = (await openTargets(ws, [system], { ...request, target: chartName }, write))(system);
  const argocd = fromMirror(argocdRelease(ws, system.cluster), request.argocdChartRepo || process.env[ARGOCD_REPO_ENV]);
  const secretRef = ageKeySecret(argocd);
  const secrets = await openSecrets(ws.root, { keyless: Boolean(request.dryRun) });
  const keys = await bootstrapIdentities(ws, system.cluster, argocd, secrets.keys);
  if (keys.usedDemoKey) write('WARNING: bootstrapping with the repository DEMO age key: anyone can decrypt these secrets\n');
  const rootFile = `${cluster.dir}/root.yaml`;
  if (!existsSync(path.resolve(ws.root, rootFile))) {
    throw new HomelabError(
      `${rootFile} not found: the root app-of-apps of cluster ${cluster.name}`,
      'add the root Application (it points ArgoCD at the cluster directory)',
    );
  }
  // Last of the refusals, as it may reach the network: offline with nothing cached, one line naming `charts pull`.
  const { source } = argocd;
  const cached = await fetchChart(ws.helm, { repoURL: source.repoURL, chart: source.chart, revision: source.targetRevision });
  const chart: ChartRef = { chart: await extractedChart(cached) };
  // The system chart is installed (and shown, dry) from the working tree: its file:// dependencies must be packaged.
  const systemChart = chartAt(ws.resolution.charts, system.chartDir);
  if (systemChart) await buildDependencies(ws.root, ws.helm, systemChart);
  const argocdChange = await prepareChange(ws.root, argocd, chart, secrets);
  const systemChange = await prepareChange(ws.root, system, { chart: system.chartDir }, secrets);
  const keyManifest = ageKeyManifest(secretRef, keys.identities);
  const keyMasker = createMasker({ secrets: keys.identities, key: secrets.maskKey });
  const appsNamespace = argocdNamespace(ws.resolution, system.cluster);

  const kubectl = (args: string[], inputs: Buffer[] = [], inputLabels: string[] = []) =>
    invocation('kubectl', target.kubectl, kubectlArgs(target, args), ws.root, { inputs, inputLabels, env: target.env });
  const applyKey = kubectl(
    ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
    [keyManifest],
    [`Namespace ${secretRef.namespace} and Secret ${secretRef.name} (key ${secretRef.key}: the age identity, from memory)`],
  );
  const waitArgo = kubectl(['wait', '--for=condition=Available', 'deployment', '--all', '--namespace', argocd.namespace, `--timeout=${flags.timeout}`]);
  const applyRoot = kubectl(['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', rootFile]);
  const getApps = kubectl(['get', 'applications.argoproj.io', '--namespace', appsNamespace, '-o', 'json']);

  const helmStep = (change: HelmChange) => ({
    plan: async () => {
      const { release } = change;
      let text = '# skipped when helm would change nothing (deployed, and the server-side dry run renders the stored manifest):\n';
      text += formatInvocation(helmRelease.serverDryRun(upgradeOptions(ws, target, change, flags)));
      text += formatInvocation(helmRelease.getManifest({ helm: ws.helm, root: ws.root, release, target }));
      await applyChange(ws, target, change, { ...flags, dryRun: true }, (t) => (text += t));
      return text;
    },
    run: async (log: Write) => {
      const current = await upToDate(ws, target, change, flags);
      if (current) log(`unchanged: release ${change.release.name} revision ${current.revision} (${current.chart}) already matches, nothing to do\n`);
      else await applyChange(ws, target, change, flags, log);
    },
  });
  const kubectlStep = (call: Invocation, shown = '') => ({
    plan: async () => formatInvocation(call) + shown,
    run: (log: Write) => runChecked(call, target, keyMasker, log),
  });

  const steps: Step[] = [
    {
      title: `Preflight: helm ${ws.helm.version}, kubectl, kube-context ${target.context}, age key (${keys.sources.join(', ')})`,
      plan: async () =>
        `# helm ${ws.helm.version} (${ws.helm.source}), kubectl, ${upstreamChartName(source)} ${cached.version} from ${cached.repoURL} (${cached.digest}, in the chart cache)\n`,
      run: async () => undefined,
    },
    {
      title: `Namespace ${secretRef.namespace} and the age key Secret ${secretRef.name} that helm-secrets reads`,
      ...kubectlStep(applyKey, keyMasker.mask(keyManifest.toString('utf8'))),
    },
    {
      title: `ArgoCD: chart ${upstreamChartName(source)} ${cached.version} (release ${argocd.name}, namespace ${argocd.namespace})`,
      ...helmStep(argocdChange),
    },
    {
      title: `System chart ${system.chartDir} (release ${system.name}, namespace ${system.namespace}), waiting until ready`,
      ...helmStep(systemChange),
      plan: async () => {
        const rendered = await renderRelease({ root: ws.root, helm: ws.helm, ...secrets }, system);
        return (await helmStep(systemChange).plan()) + rendered.masker.mask(rendered.manifest);
      },
    },
    { title: `Wait for ArgoCD's deployments in ${argocd.namespace}`, ...kubectlStep(waitArgo) },
    { title: `Root app-of-apps ${rootFile}`, ...kubectlStep(applyRoot, await readFile(path.resolve(ws.root, rootFile), 'utf8')) },
    {
      title: 'Applications and their sync state',
      plan: async () => formatInvocation(getApps),
      run: async (log) => {
        const apps = await liveApplications(target, appsNamespace);
        const lines = [...(apps?.values() ?? [])].map((app) => `${app.name}: ${app.sync}/${app.health}`);
        log(`${lines.join('\n') || 'no Applications yet'}\n`);
      },
    },
  ];

  if (request.dryRun) {
    write(DRY_RUN_BANNER);
    for (const [index, step] of steps.entries()) write(`== [${index + 1}/${steps.length}] ${step.title}\n${await step.plan()}`);
    return;
  }
  const out = createWritable(write) as unknown as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(out, out) });
  await new Listr(
    steps.map((step) => ({
      title: step.title,
      task: (_ctx: unknown, task: { output: string }) => step.run((text) => (task.output = text.trimEnd())),
      rendererOptions: { outputBar: 8, persistentOutput: true },
    })),
    {
      renderer: request.renderer ?? (process.stdout.isTTY ? 'default' : 'simple'),
      fallbackRenderer: 'simple',
      rendererOptions: { logger },
    },
  ).run();
  write(`Bootstrap of cluster ${cluster.name} done: ArgoCD now syncs ${rootFile} wave by wave (see the status target).\n`);
}

async function runChecked(call: Invocation, target: KubeTarget, masker: Masker, log: Write): Promise<void> {
  const result = await streamInvocation(call, { masker, write: log });
  if (result.exitCode === 0) return;
  if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
  log(formatTail(call.tool, result.tail));
  throw new HomelabError(
    `kubectl ${call.args[2]} failed: ${masker.mask(failureLine(result.stderr))}`,
    'fix the cause and run the bootstrap again (every step is idempotent)',
  );
}

/** The Application that deploys ArgoCD itself (the upstream argo-cd chart) in this cluster. */
export function argocdRelease(ws: Workspace, cluster: string): UpstreamRelease {
  const found = ws.resolution.releases.find((r): r is UpstreamRelease => r.cluster === cluster && deploysArgoCD(r));
  if (!found) {
    throw new HomelabError(
      `no Application in cluster ${cluster} deploys the argo-cd chart`,
      'add one (source.repoURL https://argoproj.github.io/argo-helm, chart argo-cd, a pinned targetRevision): the bootstrap installs ArgoCD from it',
    );
  }
  return found;
}

/** A release of an upstream chart: its source is known to be a Helm repository or OCI registry. */
export type UpstreamRelease = Release & { source: Extract<Release['source'], { kind: 'upstream' }> };

/**
 * The argo-cd Application as the bootstrap installs it: from the chart cache like every upstream release (fetched on a
 * miss, offline once cached). `mirror`, a Helm repository or an `oci://` registry holding the same chart, replaces
 * the Application's repository for the fetch (air-gapped homelabs, a local cache of the public repository).
 */
export function fromMirror(argocd: UpstreamRelease, mirror: string | undefined): UpstreamRelease {
  if (!mirror) return argocd;
  return { ...argocd, source: { ...argocd.source, repoURL: mirror.replace(/\/+$/, ''), chart: upstreamChartName(argocd.source) } };
}

/** Where ArgoCD's repo-server reads the age key: the Secret volume mounted where SOPS_AGE_KEY_FILE points. */
export interface AgeKeySecret {
  namespace: string;
  name: string;
  key: string;
}

export function ageKeySecret(argocd: Release): AgeKeySecret {
  const values: unknown = argocd.valuesObject ?? (argocd.values ? parse(argocd.values) : undefined);
  const repoServer = isRecord(values) && isRecord(values.repoServer) ? values.repoServer : {};
  const list = (key: string) => (Array.isArray(repoServer[key]) ? (repoServer[key] as unknown[]).filter(isRecord) : []);
  const keyFile = list('env').find((e) => e.name === 'SOPS_AGE_KEY_FILE')?.value;
  const fail = (what: string) =>
    new HomelabError(
      `${argocd.definedIn.join(', ')}: the argocd Application's values ${what}`,
      'mount a Secret on the repo server and point SOPS_AGE_KEY_FILE at a key in it (helm-secrets ArgoCD integration)',
    );
  if (typeof keyFile !== 'string') throw fail('set no repoServer.env SOPS_AGE_KEY_FILE');
  const mount = list('volumeMounts').find((m) => typeof m.mountPath === 'string' && keyFile.startsWith(`${m.mountPath.replace(/\/+$/, '')}/`));
  const volume = mount && list('volumes').find((v) => v.name === mount.name);
  const secretName = volume && isRecord(volume.secret) ? volume.secret.secretName : undefined;
  if (!mount || typeof secretName !== 'string') throw fail(`mount no Secret volume at ${path.posix.dirname(keyFile)}`);
  return { namespace: argocd.namespace, name: secretName, key: path.posix.relative(String(mount.mountPath), keyFile) };
}

/**
 * The identities to hand to ArgoCD: only those that decrypt this cluster's secrets files (a personal
 * keys.txt may hold keys for other things). Found the way sops finds them (secrets/keys.ts).
 */
async function bootstrapIdentities(ws: Workspace, cluster: string, argocd: Release, runKeys: KeyDiscovery | undefined) {
  const files = new Set<string>();
  for (const r of ws.resolution.releases) if (r.cluster === cluster) r.valueFiles.filter((v) => v.secret).forEach((v) => files.add(v.path));
  argocd.valueFiles.filter((v) => v.secret).forEach((v) => files.add(v.path));
  const recipients = new Set<string>();
  for (const file of files) {
    const doc: unknown = parse(await readFile(path.resolve(ws.root, file), 'utf8'));
    if (isRecord(doc) && doc.sops !== undefined) ageRecipients(parseMetadata(doc.sops, file)).forEach((r) => recipients.add(r));
  }
  // The run's lookup when it decrypts (a dry run does not): keys are looked up once per run.
  const found = runKeys ?? (await discoverAgeKeys({ workspaceRoot: ws.root }));
  const identities: string[] = [];
  for (const identity of found.identities) {
    if (recipients.size === 0 || recipients.has(await recipientOf(identity))) identities.push(identity);
  }
  if (identities.length === 0) {
    throw new HomelabError(
      `no age identity for ${[...files].join(', ') || 'the cluster'} (recipients ${[...recipients].join(', ') || 'none'}); searched ${found.searched.join(', ')}`,
      'set SOPS_AGE_KEY_FILE to the key file that decrypts secrets.yaml: ArgoCD needs it to render secrets',
    );
  }
  return { identities, sources: found.sources, usedDemoKey: found.usedDemoKey };
}

/** Namespace + Secret, built in memory and applied through kubectl's stdin: the key never touches a file. */
export function ageKeyManifest(ref: AgeKeySecret, identities: string[]): Buffer {
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ref.namespace } };
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ref.name, namespace: ref.namespace, labels: { 'app.kubernetes.io/managed-by': FIELD_MANAGER } },
    type: 'Opaque',
    data: { [ref.key]: Buffer.from(`${identities.join('\n')}\n`).toString('base64') },
  };
  return Buffer.from(`${stringify(namespace)}---\n${stringify(secret)}`);
}
