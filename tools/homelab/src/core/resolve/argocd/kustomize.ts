import { HomelabError } from '../../model/errors.ts';
import type { RepoFiles } from '../../workspace/repo-files.ts';
import { isRecord, parseYamlDocument } from '../../workspace/yaml-docs.ts';

/** The names kustomize accepts for a kustomization file, in its order of preference. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface Kustomization {
  /** Workspace-relative kustomization file. */
  file: string;
  /** Its directory: the kustomization root every relative path starts from. */
  dir: string;
  doc: Record<string, unknown>;
}

/** The kustomization of a directory (undefined when it has none). */
export async function readKustomization(dir: string, files: RepoFiles): Promise<Kustomization | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const file = dir === '' ? name : `${dir}/${name}`;
    const text = await files.text(file);
    if (text === undefined) continue;
    const doc = parseYamlDocument(text, file);
    if (!isRecord(doc)) throw new HomelabError(`${file}: expected a mapping`, 'see https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/');
    return { file, dir, doc };
  }
  return undefined;
}
