// The escape hatch's commands: `homelab <name>` and this repository's `hack/<name>` run the same module. Adding one
// is one line here (and a hack/<name> launcher); each module loads only when its command runs.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { Command } from './shell.ts';

type Module = Promise<{ default: Command<ParseArgsOptionsConfig> }>;

export const COMMANDS: Record<string, { summary: string; load: () => Module }> = {
  template: { summary: 'render a chart or release exactly as ArgoCD would (secrets masked)', load: () => import('./commands/template.ts') as Module },
  install: { summary: 'helm upgrade --install a release as ArgoCD deploys it, bypassing ArgoCD', load: () => import('./commands/install.ts') as Module },
  uninstall: { summary: 'helm uninstall a release safely (confirmation, data kept)', load: () => import('./commands/uninstall.ts') as Module },
  diff: { summary: 'the render against the live cluster, as kubectl diff --server-side shows it', load: () => import('./commands/diff.ts') as Module },
  bootstrap: {
    summary: 'from an empty cluster to ArgoCD syncing this repository (the Nx bootstrap target, without Nx)',
    load: () => import('./commands/bootstrap.ts') as Module,
  },
  preview: {
    summary: 'a pull request preview: releases copied into namespaces <release>-pr-<n>, installed or torn down',
    load: () => import('./commands/preview.ts') as Module,
  },
  status: { summary: 'Helm release state and ArgoCD sync/health per release', load: () => import('./commands/status.ts') as Module },
  list: {
    summary: 'every release in one table (wave, tier, source, version, render hash; --live: Helm and ArgoCD state)',
    load: () => import('./commands/list.ts') as Module,
  },
  graph: {
    summary: 'the repository as a Mermaid or self-contained HTML picture: clusters, waves, releases, charts, value files',
    load: () => import('./commands/graph.ts') as Module,
  },
  argocd: {
    summary: 'sync, refresh or resume (after install --pause-sync) the ArgoCD Application of a release, through kubectl',
    load: () => import('./commands/argocd.ts') as Module,
  },
  secrets: { summary: 'view and change SOPS files in memory', load: () => import('./commands/secrets.ts') as Module },
  affected: { summary: 'the chart tasks a change between two commits can alter', load: () => import('./commands/affected.ts') as Module },
  'render-diff': { summary: 'the rendered-manifest diff of a change, as markdown', load: () => import('./commands/render-diff.ts') as Module },
  promote: {
    summary: "one environment's version pins into another, as a commit on a new branch; the render diff as the PR description",
    load: () => import('./commands/promote.ts') as Module,
  },
  charts: { summary: 'pull every upstream chart the repository uses into the chart cache', load: () => import('./commands/charts.ts') as Module },
  verify: {
    summary: "per release, ArgoCD's own helm command run and compared with the toolkit's render",
    load: () => import('./commands/verify.ts') as Module,
  },
};
