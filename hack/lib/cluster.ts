// Options every cluster-changing hack script shares, mapped onto the core's ClusterRequest.
import type { ClusterRequest } from '../../tools/homelab/src/core/commands/cluster.ts';
import { HomelabError } from '../../tools/homelab/src/core/errors.ts';

export function requireTarget(script: string, positionals: string[]): string {
  if (positionals.length !== 1) {
    throw new HomelabError(`hack/${script} takes exactly one chart or release`, `e.g. hack/${script} monitoring`);
  }
  return positionals[0];
}

export function clusterRequest(
  target: string,
  values: { cluster?: string; context?: string; kubeconfig?: string; 'dry-run'?: boolean },
): ClusterRequest {
  return { target, cluster: values.cluster, context: values.context, kubeconfig: values.kubeconfig, dryRun: values['dry-run'] };
}

/** A flag restricted to a few words: refused in one line rather than handed to helm. */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw new HomelabError(`--${flag} ${value} is not one of ${allowed.join(', ')}`, 'see --help');
}
