import type { TargetConfiguration } from '@nx/devkit';
import type { NormalizedOptions } from './options.ts';

/** Nx's project view lists targets under these headings: what renders, what checks, what touches the cluster. */
export function targetGroups(targets: Record<string, TargetConfiguration>, options: NormalizedOptions): Record<string, string[]> {
  const groups = {
    Render: [options.depsTargetName, options.templateTargetName, options.renderTargetName],
    Quality: [options.lintTargetName, options.validateTargetName],
    Cluster: [options.installTargetName, options.uninstallTargetName, options.diffTargetName, options.statusTargetName, options.bootstrapTargetName],
  };
  const present = Object.entries(groups).map(([group, names]) => [group, names.filter((name) => name in targets)] as const);
  return Object.fromEntries(present.filter(([, names]) => names.length > 0));
}
