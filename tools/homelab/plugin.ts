// Entry point Nx loads from nx.json `plugins: [{ plugin: '@homelab/nx', options }]`.
export { createNodes, createNodesV2, createDependencies } from './src/plugin/plugin.ts';
export { preTasksExecution } from './src/plugin/secrets-target.ts';
export type { HomelabPluginOptions } from './src/plugin/options.ts';
