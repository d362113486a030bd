import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProjectConfiguration } from '@nx/devkit';
import type { NormalizedOptions } from './options.ts';

/** Name of the project the plugin infers from `<provisionDir>/site.yaml`. */
export const PROVISION_PROJECT = 'provision';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The Ansible of `<provisionDir>/` as a project: `check` (syntax check of every playbook + ansible-lint when
 * installed; offline, cached on the directory's files and the installed tool versions) and `apply` (the real
 * run on the inventory's machines: never cached, confirmed on a terminal unless --yes; `--check` is the
 * `--check --diff` dry run).
 */
export function provisionProject(dir: string, options: NormalizedOptions, workspaceRoot: string): ProjectConfiguration {
  const relative = path.relative(workspaceRoot, packageDir).split(path.sep).join('/');
  const versions = `node ${relative.startsWith('..') || relative.includes('node_modules') ? packageDir : relative}/src/cli/ansible-version.ts`;
  return {
    root: dir,
    name: PROVISION_PROJECT,
    projectType: 'application',
    tags: ['homelab:provision'],
    targets: {
      [options.provisionCheckTargetName]: {
        executor: '@homelab/nx:provision-check',
        cache: true,
        // The local inventory is the apply's business; the check uses the example inventory.
        inputs: ['{projectRoot}/**/*', '!{projectRoot}/inventory.yaml', { runtime: versions }],
        options: {},
        metadata: {
          technologies: ['ansible'],
          description: `ansible-playbook --syntax-check every playbook of ${dir}/ (example inventory), then ansible-lint when installed`,
        },
      },
      [options.provisionApplyTargetName]: {
        executor: '@homelab/nx:provision-apply',
        cache: false,
        options: {},
        metadata: {
          technologies: ['ansible'],
          description: `Run ${dir}/site.yaml on the machines of ${dir}/inventory.yaml (asks first; --check: a --check --diff dry run)`,
        },
      },
    },
  };
}
