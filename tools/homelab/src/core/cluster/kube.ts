import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { extractBundledBinary, findOnPath } from '../helm/helm.ts';
import { failureLine, runTool, type RunOptions, type RunResult } from '../exec/process.ts';
import type { ClusterDeclaration } from '../model/types.ts';
import { parseDocument } from 'yaml';
import { isRecord } from '../workspace/yaml-docs.ts';
import { requireCluster } from '../model/lookup.ts';

/**
 * The cluster declaration guard. Every command that reads or changes a cluster goes through
 * `guardCluster`: the kube-context comes from `clusters/<c>/cluster.yaml` (or a loud `--context`
 * override), must exist in the kubeconfig, and must point at the declared API server. Helm gets
 * `--kube-context`, kubectl `--context`, always: the current context is never used.
 */
export interface KubeTarget {
  cluster: ClusterDeclaration;
  /** The context every helm/kubectl call names explicitly. */
  context: string;
  /** The API server of that context, from the kubeconfig. */
  server: string;
  /** Set when `--context` replaced the declared kubeContext. */
  override?: { declared: string };
  kubectl: string;
  /** Environment for helm and kubectl: only KUBECONFIG, when the caller chose a file. */
  env?: Record<string, string>;
  /** A dry run without the declared context in the kubeconfig: invocations named after it, nothing checked. */
  offline?: true;
}

export interface GuardOptions {
  /** `--context`: use this context instead of the declared one (printed loudly). */
  context?: string;
  /** A kubeconfig file (or a KUBECONFIG-style list) instead of $KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  /**
   * Print the exact helm/kubectl invocations; run nothing, contact no cluster. Without the declared context in
   * the default kubeconfig (a newcomer with no cluster yet) it is an offline preview instead of a refusal.
   */
  dryRun?: boolean;
}

interface KubeConfigView {
  contexts: Map<string, string>;
  servers: Map<string, string>;
  /** How many of the files exist. */
  found: number;
}

/**
 * `$KUBECTL_BIN`, else `kubectl` on PATH, else the kubectl in the same layer package that provides the bundled helm
 * (linux-amd64), so a machine with only node and npm ci can still reach a cluster.
 */
export async function resolveKubectl(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.KUBECTL_BIN) return env.KUBECTL_BIN;
  const found = await findOnPath('kubectl', env.PATH ?? '');
  if (found) return found;
  return extractBundledBinary('kubectl', 'install kubectl (https://kubernetes.io/docs/tasks/tools/) or set KUBECTL_BIN');
}

/** Where kubectl reads its configuration from, for error messages. */
export function kubeconfigLocation(options: GuardOptions = {}, env: NodeJS.ProcessEnv = process.env): string {
  if (options.kubeconfig) return options.kubeconfig;
  if (env.KUBECONFIG) return `KUBECONFIG=${env.KUBECONFIG}`;
  return path.join(homedir(), '.kube', 'config');
}

/**
 * The kubeconfig as kubectl and helm merge it: the files of KUBECONFIG (or the chosen file, or
 * ~/.kube/config) in order, the first definition of each name winning. Read directly rather than through
 * `kubectl config view`, which some kubectl builds (the gcloud dispatcher) answer by contacting the server.
 */
async function readKubeconfig(list: string | undefined): Promise<KubeConfigView> {
  const files = list ? list.split(path.delimiter).filter(Boolean) : [path.join(homedir(), '.kube', 'config')];
  const contexts = new Map<string, string>();
  const servers = new Map<string, string>();
  let found = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue; // kubectl skips missing files of a KUBECONFIG list
    }
    found++;
    const doc = parseDocument(text);
    const error = doc.errors[0];
    if (error)
      throw new HomelabError(`cannot read the kubeconfig ${file}: ${error.message.split('\n')[0]}`, 'fix the kubeconfig file (kubectl config view must work)');
    const config: unknown = doc.toJS();
    if (!isRecord(config)) continue;
    for (const entry of Array.isArray(config.contexts) ? config.contexts : []) {
      if (isRecord(entry) && typeof entry.name === 'string' && !contexts.has(entry.name)) {
        contexts.set(entry.name, isRecord(entry.context) && typeof entry.context.cluster === 'string' ? entry.context.cluster : '');
      }
    }
    for (const entry of Array.isArray(config.clusters) ? config.clusters : []) {
      if (
        isRecord(entry) &&
        typeof entry.name === 'string' &&
        isRecord(entry.cluster) &&
        typeof entry.cluster.server === 'string' &&
        !servers.has(entry.name)
      ) {
        servers.set(entry.name, entry.cluster.server);
      }
    }
  }
  return { contexts, servers, found };
}

/** No kubeconfig file where we read: a typo or a stale export, never "no contexts". */
function missingKubeconfig(options: GuardOptions, env: NodeJS.ProcessEnv = process.env): HomelabError {
  if (options.kubeconfig) return new HomelabError(`--kubeconfig ${options.kubeconfig}: file not found`, 'pass the path of an existing kubeconfig file');
  if (env.KUBECONFIG) {
    return new HomelabError(
      `KUBECONFIG=${env.KUBECONFIG}: file not found`,
      'point KUBECONFIG at an existing kubeconfig file, or unset it to read ~/.kube/config',
    );
  }
  return new HomelabError(
    `${kubeconfigLocation(options, env)}: file not found`,
    "put your cluster's kubeconfig there or point KUBECONFIG at it (--dry-run previews without one)",
  );
}

/** Refuses, before anything touches a cluster, when the context is undeclared, missing, or points elsewhere. */
export async function guardCluster(cluster: ClusterDeclaration, options: GuardOptions = {}): Promise<KubeTarget> {
  const file = `${cluster.dir}/cluster.yaml`;
  if (!cluster.kubeContext && !options.context) {
    throw new HomelabError(
      `${file} declares no kubeContext: refusing to act on cluster ${cluster.name}`,
      'add "kubeContext: <name from kubectl config get-contexts>" (the current context is never used)',
    );
  }
  const context = options.context || cluster.kubeContext;
  const env = options.kubeconfig ? { KUBECONFIG: options.kubeconfig } : undefined;
  const where = kubeconfigLocation(options);
  const explicit = options.kubeconfig ?? process.env.KUBECONFIG;
  const view = await readKubeconfig(explicit);
  // An explicit kubeconfig that does not exist is a mistake even for a preview.
  if (view.found === 0 && (explicit || !options.dryRun)) throw missingKubeconfig(options);
  // A preview needs no cluster (a newcomer has none yet); a --context that is not there is a typo, though.
  if (!view.contexts.has(context) && options.dryRun && !options.context) {
    // Only printed, never run: without kubectl installed the commands are still shown.
    const kubectl = await resolveKubectl().catch(() => 'kubectl');
    return { cluster, context, server: cluster.server ?? '', kubectl, ...(env ? { env } : {}), offline: true };
  }
  const kubectl = await resolveKubectl();
  const origin = options.context ? '--context' : `declared in ${file}`;
  if (!view.contexts.has(context)) {
    const known = [...view.contexts.keys()].sort().join(', ') || 'none';
    throw new HomelabError(
      `kube-context "${context}" (${origin}) is not in the kubeconfig (${where})`,
      `contexts there: ${known}; merge the cluster's kubeconfig, or rename its context to "${context}"`,
    );
  }
  const clusterEntry = view.contexts.get(context)!;
  const server = view.servers.get(clusterEntry);
  if (!server) {
    throw new HomelabError(
      `kube-context "${context}" refers to cluster "${clusterEntry}", which has no server in the kubeconfig (${where})`,
      'repair the kubeconfig: every context needs a cluster entry with a server',
    );
  }
  if (cluster.server && !sameServer(cluster.server, server)) {
    throw new HomelabError(
      `kube-context "${context}" points at ${server}, but ${file} declares server ${cluster.server}: refusing to act on another cluster`,
      'use the context of the declared cluster, or correct server in cluster.yaml if its address really changed',
    );
  }
  return {
    cluster,
    context,
    server,
    ...(options.context && options.context !== cluster.kubeContext ? { override: { declared: cluster.kubeContext } } : {}),
    kubectl,
    ...(env ? { env } : {}),
  };
}

/** Same scheme, host and port (default ports made explicit), trailing slashes ignored. */
export function sameServer(a: string, b: string): boolean {
  const norm = (url: string) => {
    try {
      const u = new URL(url);
      const port = u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '');
      return `${u.protocol}//${u.hostname.toLowerCase()}:${port}${u.pathname.replace(/\/+$/, '')}`;
    } catch {
      return url.trim().replace(/\/+$/, '').toLowerCase();
    }
  };
  return norm(a) === norm(b);
}

/** The lines every command prints before acting; the override is impossible to miss. */
export function describeTarget(target: KubeTarget): string {
  if (target.offline) {
    const where = target.env?.KUBECONFIG ? target.env.KUBECONFIG : kubeconfigLocation();
    return `Cluster ${target.cluster.name}: OFFLINE PREVIEW: kube-context ${target.context} is not in the kubeconfig (${where}): no context check, no server-side dry run, the commands below name the declared context\n`;
  }
  const lines = [`Cluster ${target.cluster.name}: kube-context ${target.context} (${target.server})\n`];
  if (target.override) {
    const declared = target.override.declared ? `kubeContext "${target.override.declared}"` : 'no kubeContext';
    lines.unshift(`!!! --context ${target.context} OVERRIDES ${declared} declared in ${target.cluster.dir}/cluster.yaml: acting on ${target.server} !!!\n`);
  }
  return lines.join('');
}

/** Guards each cluster once per command. */
export function createGuard(clusters: ClusterDeclaration[], options: GuardOptions): (clusterName: string) => Promise<KubeTarget> {
  const cache = new Map<string, Promise<KubeTarget>>();
  return (clusterName) => {
    let target = cache.get(clusterName);
    if (!target) {
      const cluster = requireCluster(clusters, clusterName);
      target = guardCluster(cluster, options);
      cache.set(clusterName, target);
    }
    return target;
  };
}

/** `kubectl --context <ctx> …`: the context always comes first, so no argv ever lacks it. */
export function kubectlArgs(target: KubeTarget, args: string[]): string[] {
  return ['--context', target.context, ...args];
}

export function runKubectl(target: KubeTarget, args: string[], options: Omit<RunOptions, 'env'> = {}): Promise<RunResult> {
  return runTool(target.kubectl, kubectlArgs(target, args), { ...options, env: target.env });
}

/**
 * Fails fast with one line when the API server cannot be reached (down, VPN off, wrong port), before any
 * helm call could leave half a change behind. Returns the server's Kubernetes version.
 */
export async function probeCluster(target: KubeTarget): Promise<string> {
  const result = await runKubectl(target, ['get', '--raw', '/version', '--request-timeout', '15s'], { timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw unreachable(target, result.stderr);
  try {
    return String((JSON.parse(result.stdout) as { gitVersion?: string }).gitVersion ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

export function unreachable(target: KubeTarget, stderr: string): HomelabError {
  return new HomelabError(
    `cluster ${target.cluster.name} is unreachable (kube-context ${target.context}, ${target.server}): ${failureLine(stderr).replace(/^error:\s*/i, '')}`,
    'check that the cluster is up and reachable from here (network, VPN, credentials), then retry',
  );
}

/** helm and kubectl say this when the API server does not answer. */
export function isUnreachable(stderr: string): boolean {
  // Not a bare "context deadline exceeded": that is also how helm ends a --wait that ran out of time on a cluster it
  // reached (helm says "Kubernetes cluster unreachable" when it could not reach it; kubectl "Unable to connect").
  return /cluster unreachable|connection refused|no such host|i\/o timeout|Unable to connect to the server|was refused/i.test(stderr);
}
