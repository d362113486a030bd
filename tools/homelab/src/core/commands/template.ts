import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderFile } from '../model/release.ts';
import { errorLine, HomelabError } from '../model/errors.ts';
import { buildDependencies, type Rendered } from '../helm/render.ts';
import { renderAnyRelease } from '../render/index.ts';
import { renderedCharts } from '../model/lookup.ts';
import { openSecrets, type OpenedSecrets } from '../secrets/index.ts';
import type { Release } from '../model/types.ts';
import type { ValueOverlay } from '../helm/commands.ts';
import { notDeployedLine, selectReleases, type Workspace } from '../resolve/workspace.ts';

export interface TemplateRequest {
  /** Chart name, release name or `<cluster>/<release>`. */
  target: string;
  cluster?: string;
  /** Only the releases deploying to this namespace (it must be one of theirs: the Application decides it). */
  namespace?: string;
  /** Only these templates (helm --show-only): a partial render, marked as differing from ArgoCD's. */
  showOnly?: readonly string[];
  /** The user's own values after the Application's (hack --set/-f): differs from ArgoCD's render. */
  overlay?: ValueOverlay;
  /** Write `<outputDir>/<cluster>/<release>.yaml` per release instead of printing. */
  outputDir?: string;
  /** Print decrypted Secret values (hack scripts on a terminal only). */
  reveal?: boolean;
  /** No age key: structure-preserving placeholders instead of decrypted values (CI). */
  keyless?: boolean;
  /** With keyless: Secret data as rendered (placeholders), for byte-for-byte comparisons with helm template. */
  unmasked?: boolean;
  /** Nx already ran the helm-deps target. */
  skipDependencyBuild?: boolean;
  /** Secrets opened once by a caller rendering many charts (Nx batch), instead of once per call. */
  secrets?: OpenedSecrets;
}

/** Renders releases exactly as ArgoCD would and prints them masked. The shared body of the Nx target and hack/template. */
export async function template(ws: Workspace, request: TemplateRequest, write: (text: string) => void): Promise<Rendered[]> {
  refuseUnmaskedSecrets(request);
  const shown = (r: Rendered) => (request.reveal || request.unmasked ? r.manifest : r.masker.mask(r.manifest));
  const releases = selectReleases(ws, request.target, request.cluster, request.namespace);
  if (releases.length === 0) write(notDeployedLine(ws, request.target, 'render', request.cluster));
  const { outputDir } = request;
  const files = outputDir ? releases.map((r) => path.resolve(ws.root, outputDir, renderFile(r, ws.resolution.releases))) : [];
  // The directories exist before anything renders: a file in the way fails the command with nothing written.
  for (const dir of new Set(files.map((file) => path.dirname(file)))) await makeOutputDir(ws.root, dir, outputDir!);
  const rendered = await renderReleases(ws, releases, request);
  const marker = request.showOnly?.length ? `# homelab: --show-only ${request.showOnly.join(' --show-only ')}, differs from ArgoCD's render\n` : '';
  if (outputDir) {
    for (const [i, r] of rendered.entries()) {
      // No plaintext secret is ever written to a file: masked, or keyless and unmasked (placeholders only).
      await writeFile(files[i], marker + (request.unmasked ? r.manifest : r.masker.mask(r.manifest))).catch((err: unknown) => {
        throw new HomelabError(`output directory ${outputDir}: cannot write ${files[i]}: ${errorLine(err)}`, 'choose an output directory you can write to');
      });
      write(`${path.relative(ws.root, files[i])}\n`);
    }
    return rendered;
  }
  write(marker);
  for (const r of rendered) {
    if (rendered.length > 1) write(releaseComment(r.release));
    write(shown(r));
  }
  return rendered;
}

/** Only a keyless render may go unmasked: its Secret data are placeholders, a decrypted one's are real secrets. */
export function refuseUnmaskedSecrets(request: { keyless?: boolean; unmasked?: boolean }): void {
  if (request.unmasked && !request.keyless) {
    throw new HomelabError('unmasked Secret data is only shown for keyless renders (placeholders, never a secret)', 'add --keyless, or drop --unmasked');
  }
}

/** What separates releases in one printed stream: a YAML comment, so the stream stays valid. */
export function releaseComment(release: Release): string {
  return `# Release ${release.cluster}/${release.name} (namespace ${release.namespace})\n`;
}

/** `mkdir -p`, or one line naming the file that stands where a directory must be. */
async function makeOutputDir(root: string, dir: string, outputDir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const blocking = await fileOnPath(dir);
    if (blocking) {
      const shown = path.relative(root, blocking).startsWith('..') ? blocking : path.relative(root, blocking);
      throw new HomelabError(`output directory ${outputDir}: ${shown} is a file, not a directory`, 'choose another output directory, or move the file away');
    }
    throw new HomelabError(`output directory ${outputDir}: cannot create ${dir}: ${errorLine(err)}`, 'choose an output directory you can write to');
  }
}

/** The first existing non-directory among `dir` and its parents. */
async function fileOnPath(dir: string): Promise<string | undefined> {
  for (let p = dir; p !== path.dirname(p); p = path.dirname(p)) {
    const stats = await stat(p).catch(() => undefined);
    if (stats) return stats.isDirectory() ? undefined : p;
  }
  return undefined;
}

/** Builds each chart's dependencies once, then renders the releases concurrently, keeping their order. */
export async function renderReleases(
  ws: Workspace,
  releases: Release[],
  options: { keyless?: boolean; skipDependencyBuild?: boolean; secrets?: OpenedSecrets; showOnly?: readonly string[]; overlay?: ValueOverlay },
): Promise<Rendered[]> {
  if (!options.skipDependencyBuild) {
    for (const chart of new Set(releases.flatMap((r) => renderedCharts(r, ws.resolution.charts)))) {
      await buildDependencies(ws.root, ws.helm, chart);
    }
  }
  const secrets = options.secrets ?? (await openSecrets(ws.root, { keyless: options.keyless ?? false }));
  const settled = await Promise.allSettled(
    releases.map((release) => renderAnyRelease({ root: ws.root, helm: ws.helm, ...secrets, showOnly: options.showOnly, overlay: options.overlay }, release)),
  );
  // The renders run side by side; the failure reported is the first in release order, not the first to finish.
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<Rendered>).value);
}
