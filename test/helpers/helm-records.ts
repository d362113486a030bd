import { encodeRelease } from '../../tools/homelab/src/core/cluster/keep-data.ts';
import type { FakeApiServer } from './fake-apiserver.ts';

/**
 * Stores one revision of a Helm release in the fake API server the way helm's default storage driver
 * does (Secret `sh.helm.release.v1.<name>.v<revision>`, labels name/owner/status/version). Real helm
 * then reads it with `helm history`, `helm get manifest`, `helm uninstall`.
 */
export function putHelmRelease(
  api: FakeApiServer,
  release: { name: string; namespace: string; revision: number; status: string; manifest: string; chart?: string; version?: string },
): void {
  const record = {
    name: release.name,
    namespace: release.namespace,
    version: release.revision,
    info: {
      status: release.status,
      first_deployed: '2026-01-01T00:00:00Z',
      last_deployed: `2026-01-0${Math.min(release.revision, 9)}T00:00:00Z`,
      description: release.status === 'deployed' ? 'Upgrade complete' : 'Preparing upgrade',
    },
    chart: { metadata: { name: release.chart ?? release.name, version: release.version ?? '0.1.0', apiVersion: 'v2' } },
    config: {},
    manifest: release.manifest,
  };
  api.put('secrets', {
    metadata: {
      name: `sh.helm.release.v1.${release.name}.v${release.revision}`,
      namespace: release.namespace,
      labels: { name: release.name, owner: 'helm', status: release.status, version: String(release.revision) },
    },
    type: 'helm.sh/release.v1',
    data: { release: Buffer.from(encodeRelease(record)).toString('base64') },
  });
}
