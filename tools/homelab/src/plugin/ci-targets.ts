import type { TargetConfiguration } from '@nx/devkit';
import type { Chart, ClusterDeclaration, Release } from '../core/model/types.ts';
import { renderFile } from '../core/model/release.ts';
import type { NormalizedOptions } from './options.ts';
import { describeReleases, renderingTarget } from './targets.ts';

/** Where the CI render writes: one masked file per release (`renderFile`: `<dir>/<cluster>/<release>.yaml`). */
export const RENDER_OUTPUT_DIR = 'dist/rendered';

/**
 * `render`: the CI render. Keyless (structure-preserving placeholders instead of decrypted secrets, so it needs
 * no age key and its files hold no secret), masked, one file per release, cached by Nx with those files as
 * outputs: a cache hit restores them, so `nx affected -t render` followed by an artifact upload always uploads
 * the renders of the whole workspace state Nx knows about, never stale ones.
 */
export function renderTarget(
  chart: Chart,
  releases: Release[],
  clusters: ClusterDeclaration[],
  options: NormalizedOptions,
  all: readonly Release[],
): TargetConfiguration {
  return renderingTarget('render', chart, releases, clusters, options, {
    outputs: releases.map((r) => `{workspaceRoot}/${RENDER_OUTPUT_DIR}/${renderFile(r, all)}`),
    options: { outputDir: RENDER_OUTPUT_DIR },
    metadata: {
      technologies: ['helm'],
      description: `Render ${describeReleases(releases)} keyless into ${RENDER_OUTPUT_DIR}/ (CI; safe to upload)`,
      // The same render as hack/template --keyless --output-dir, whose help describes both options.
      help: { command: 'node hack/template --help', example: { options: { outputDir: RENDER_OUTPUT_DIR } } },
    },
  });
}
