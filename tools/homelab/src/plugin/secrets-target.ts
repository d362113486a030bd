import type { TargetConfiguration } from '@nx/devkit';

/**
 * `nx run workspace:secrets -- <view|set|rm|rotate|recipients> …`: the hack/secrets core behind Nx. Never cached
 * (it changes files and reads keys outside the workspace); it prints no decrypted value, since Nx writes every
 * task's terminal output to its cache directory.
 */
export function secretsTarget(): TargetConfiguration {
  return {
    executor: '@homelab/nx:secrets',
    cache: false,
    metadata: {
      technologies: ['sops'],
      description: 'View (masked) and change SOPS secrets in memory: view, set <path> (value piped on stdin), rm, rotate, recipients',
      help: { command: 'node hack/secrets --help', example: { args: ['view'] } },
    },
  };
}
