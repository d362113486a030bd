// Entry point Nx loads from nx.json `plugins: [{ plugin: '@homelab/nx', options }]`.
import type { PreTasksExecution } from '@nx/devkit';
import { ageKeysEnv } from './src/plugin/age-keys-env.ts';
import { batchingEnv } from './src/plugin/batching.ts';
import { type HomelabPluginOptions, normalizeOptions } from './src/plugin/options.ts';
import { refuseUnknownConfiguration } from './src/plugin/configurations.ts';
import { helmVersionEnv } from './src/plugin/helm-version-env.ts';
import { preTasksExecution as refuseSecretValueArgument } from './src/plugin/secrets-target.ts';
import { toolkitBuildEnv } from './src/plugin/toolkit-build-env.ts';

export { createNodes, createNodesV2, createDependencies } from './src/plugin/plugin.ts';
export type { HomelabPluginOptions } from './src/plugin/options.ts';

/**
 * Nx takes one preTasksExecution per plugin: the refusals that must come before any task runs or is replayed, then
 * the run's environment (variables a hook sets on process.env reach the run, also from the daemon or a plugin worker).
 */
export const preTasksExecution: PreTasksExecution<HomelabPluginOptions> = async (options, context) => {
  await refuseSecretValueArgument(options, context);
  await refuseUnknownConfiguration(options, context);
  const keys = await ageKeysEnv(context.workspaceRoot, context.argv, normalizeOptions(options).templateTargetName);
  Object.assign(process.env, batchingEnv(context.argv), await helmVersionEnv(), keys, toolkitBuildEnv());
};
