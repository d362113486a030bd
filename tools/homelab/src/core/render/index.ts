import { createMasker } from '../exec/mask.ts';
import { HomelabError } from '../model/errors.ts';
import { renderRelease, type RenderContext, type Rendered } from '../helm/render.ts';
import type { Release } from '../model/types.ts';
import { resolveKubectl } from '../cluster/kube.ts';

/** Whether a release renders without helm's chart machinery (no dependency build, no value files). */
export function isManifestSource(release: Release): boolean {
  return release.source?.kind === 'directory' || release.source?.kind === 'kustomize';
}

/**
 * Any release rendered as ArgoCD's repo-server renders its source: a chart with helm (helm/render.ts), a directory
 * by reading its files (directory.ts), a kustomization with kubectl kustomize (kustomize.ts). Their output carries no
 * decrypted value, yet Secret data in it is masked like every render's.
 */
export async function renderAnyRelease(ctx: RenderContext, release: Release): Promise<Rendered> {
  const source = release.source;
  if (source?.kind !== 'directory' && source?.kind !== 'kustomize') return renderRelease(ctx, release);
  const kind = source.kind === 'directory' ? 'directory' : 'Kustomize';
  if (ctx.showOnly?.length) {
    throw new HomelabError(
      `--show-only selects templates of a Helm chart; ${release.cluster}/${release.name} is a ${kind} source`,
      'drop --show-only (or filter the output, e.g. with yq)',
    );
  }
  if (ctx.overlay) {
    throw new HomelabError(`--set and -f are values of a Helm chart; ${release.cluster}/${release.name} is a ${kind} source, which has none`, 'drop --set/-f');
  }
  // Loaded when such a source is rendered: a chart's render (hack/template's usual case) does not read them.
  const manifest =
    source.kind === 'directory'
      ? (await import('./directory.ts')).renderDirectory(ctx.root, source)
      : await (await import('./kustomize.ts')).renderKustomize(ctx.root, release, source, { kubectl: await resolveKubectl(), helm: ctx.helm });
  return { release, manifest, masker: createMasker({ secrets: [], key: ctx.maskKey }) };
}
