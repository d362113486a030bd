import { parseAllDocuments } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import { errorSummary, formatInvocation, formatTail, invocation, streamInvocation, type Invocation } from '../exec/invocation.ts';
import type { Masker } from '../exec/mask.ts';
import type { Release } from '../model/types.ts';
import { findStateHolders, type StateHolder } from './keep-data.ts';
import { isUnreachable, kubectlArgs, unreachable, type KubeTarget } from './kube.ts';

/**
 * Directory and Kustomize releases on a cluster: no Helm release exists for them (ArgoCD applies their objects), so
 * the escape hatch applies the render with `kubectl apply --server-side` and removes it with `kubectl delete`, the
 * destination namespace standing in for objects that name none, as ArgoCD does. The render travels on stdin only.
 */
const FIELD_MANAGER = 'homelab';

function what(release: Release): string {
  return `the render of ${release.cluster}/${release.name} (${release.source?.kind ?? 'chart'} ${release.chartDir})`;
}

export function applyCall(root: string, target: KubeTarget, release: Release, manifest: string): Invocation {
  const args = kubectlArgs(target, ['apply', '--server-side', '--field-manager', FIELD_MANAGER, '--namespace', release.namespace, '-f', '-']);
  return invocation('kubectl', target.kubectl, args, root, { inputs: [Buffer.from(manifest)], inputLabels: [what(release)], env: target.env });
}

export function deleteCall(root: string, target: KubeTarget, release: Release, manifest: string): Invocation {
  const args = kubectlArgs(target, ['delete', '--namespace', release.namespace, '--ignore-not-found', '-f', '-']);
  const label = `${what(release)}${manifest.trim() === '' ? ', nothing left to delete' : ''}`;
  return invocation('kubectl', target.kubectl, args, root, { inputs: [Buffer.from(manifest)], inputLabels: [label], env: target.env });
}

/** Runs one kubectl call with its masked output streamed; a failure is one line naming the release. */
export async function runManifestCall(target: KubeTarget, call: Invocation, release: Release, masker: Masker, write: (text: string) => void): Promise<void> {
  write(formatInvocation(call));
  const result = await streamInvocation(call, { masker, write, prefix: '  kubectl | ' });
  if (result.exitCode === 0) return;
  if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
  write(formatTail('kubectl', result.tail));
  const verb = call.args.includes('apply') ? 'kubectl apply --server-side' : 'kubectl delete';
  throw new HomelabError(
    `${verb} of ${release.cluster}/${release.name} failed: ${masker.mask(errorSummary(result.stderr))}`,
    'fix the cause shown above and run it again (objects already applied or deleted stay so)',
  );
}

/**
 * The render without the objects that hold data (PersistentVolumeClaims, PersistentVolumes, Namespaces, CRDs), which
 * an uninstall keeps unless asked to delete data; returns what is left and what was kept.
 */
export function withoutStateHolders(manifest: string, namespace: string): { manifest: string; kept: StateHolder[] } {
  const kept = findStateHolders(manifest, namespace);
  const keys = new Set(kept.map((h) => `${h.kind}/${h.name}`));
  const left = parseAllDocuments(manifest, { version: '1.1' })
    .filter((doc) => {
      const object = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
      return object !== null && !keys.has(`${String(object?.kind)}/${String(object?.metadata?.name)}`);
    })
    .map((doc) => `---\n${String(doc)}`);
  return { manifest: left.join(''), kept };
}
