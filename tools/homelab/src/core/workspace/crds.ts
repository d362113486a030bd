import { RepoFiles } from './repo-files.ts';
import type { Chart, ClusterDeclaration } from '../model/types.ts';

/** Directory name, in a chart or a cluster directory, of CustomResourceDefinition files. */
export const CRDS_DIR = 'crds';

/**
 * The CustomResourceDefinitions the repository declares for a cluster, as YAML texts for `validateManifests`:
 * every chart's `crds/` directory (Helm's own place for CRDs: plain YAML, never templated) and the cluster's
 * `clusters/<cluster>/crds/` (CRDs something outside the charts installs, e.g. k3s's bundled Traefik).
 * Documents of other kinds in these files are ignored. CRDs a chart renders from templates/ count for that
 * chart's own releases only.
 */
export async function declaredCrds(root: string, charts: Chart[], cluster: ClusterDeclaration, files = new RepoFiles(root)): Promise<string[]> {
  const dirs = [...charts.map((c) => `${c.dir}/${CRDS_DIR}`), `${cluster.dir}/${CRDS_DIR}`];
  const texts: string[] = [];
  for (const dir of dirs) {
    for (const file of await files.walk(dir, 'file')) {
      if (/\.(ya?ml|json)$/.test(file)) texts.push((await files.text(file)) ?? '');
    }
  }
  return texts;
}
