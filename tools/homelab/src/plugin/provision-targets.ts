import type { ProjectConfiguration } from '@nx/devkit';
import type { NormalizedOptions } from './options.ts';
import { cliInput } from './targets.ts';

/** Name of the project the plugin infers from `<provisionDir>/site.yaml`. */
export const PROVISION_PROJECT = 'provision';

/**
 * The Ansible of `<provisionDir>/` as a project: `check` (syntax check of every playbook + ansible-lint when
 * installed; offline, cached on the directory's files and the installed tool versions) and `apply` (the real
 * run on the inventory's machines: never cached, confirmed on a terminal unless --yes; `--check` is the
 * `--check --diff` dry run).
 */
export function provisionProject(dir: string, options: NormalizedOptions, workspaceRoot: string): ProjectConfiguration {
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
        inputs: ['{projectRoot}/**/*', '!{projectRoot}/inventory.yaml', cliInput(workspaceRoot, 'ansible-version')],
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
