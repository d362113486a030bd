import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HomelabError } from '../errors.ts';
import { buildDependencies, renderRelease, type Rendered } from '../render.ts';
import { openSecrets, type OpenedSecrets } from '../secret-source.ts';
import type { Release } from '../types.ts';
import { selectReleases, type Workspace } from '../workspace.ts';

export interface TemplateRequest {
  /** Chart name, release name or `<cluster>/<release>`. */
  target: string;
  cluster?: string;
  /** Write `<outputDir>/<cluster>/<release>.yaml` per release instead of printing. */
  outputDir?: string;
  /** Print decrypted Secret values (hack scripts on a terminal only). */
  reveal?: boolean;
  /** No age key: structure-preserving placeholders instead of decrypted values (CI). */
  keyless?: boolean;
  /** Nx already ran the helm-deps target. */
  skipDependencyBuild?: boolean;
  /** Secrets opened once by a caller rendering many charts (Nx batch), instead of once per call. */
  secrets?: OpenedSecrets;
}

/** Renders releases exactly as ArgoCD would and prints them masked. The shared body of the Nx target and hack/template. */
export async function template(ws: Workspace, request: TemplateRequest, write: (text: string) => void): Promise<Rendered[]> {
  const releases = selectReleases(ws, request.target, request.cluster);
  const rendered = await renderReleases(ws, releases, request);
  if (request.outputDir) {
    for (const r of rendered) {
      const file = path.resolve(ws.root, request.outputDir, r.release.cluster, `${r.release.name}.yaml`);
      await mkdir(path.dirname(file), { recursive: true });
      // Files on disk are always masked: principle 3 allows no plaintext secret in a file.
      await writeFile(file, r.masker.mask(r.manifest));
      write(`${path.relative(ws.root, file)}\n`);
    }
    return rendered;
  }
  for (const r of rendered) {
    if (rendered.length > 1) write(`# Release ${r.release.cluster}/${r.release.name} (namespace ${r.release.namespace})\n`);
    write(request.reveal ? r.manifest : r.masker.mask(r.manifest));
  }
  return rendered;
}

/** Builds each chart's dependencies once, then renders the releases concurrently, keeping their order. */
export async function renderReleases(
  ws: Workspace,
  releases: Release[],
  options: { keyless?: boolean; skipDependencyBuild?: boolean; secrets?: OpenedSecrets },
): Promise<Rendered[]> {
  if (!options.skipDependencyBuild) {
    const chartDirs = [...new Set(releases.map((r) => r.chartDir))];
    for (const dir of chartDirs) {
      const chart = ws.resolution.charts.find((c) => c.dir === dir);
      if (!chart) throw new HomelabError(`no chart at ${dir}`, 'check the Application source path');
      await buildDependencies(ws.root, ws.helm, chart);
    }
  }
  const secrets = options.secrets ?? (await openSecrets(ws.root, { keyless: options.keyless ?? false }));
  return Promise.all(releases.map((release) => renderRelease({ root: ws.root, helm: ws.helm, ...secrets }, release)));
}
