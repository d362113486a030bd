import { compare } from '../workspace/charts.ts';
import type { Release } from '../model/types.ts';
import { isCrd } from '../validate/crd.ts';
import { splitManifests } from '../validate/documents.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { whereDeclared, type Findings } from './findings.ts';

/** What one release's render creates for others and needs from others. */
interface Footprint {
  release: Release;
  /** `namespace:x`, `project:x`, `crd:group/Kind`. */
  creates: Set<string>;
  needs: Set<string>;
}

/** `deploys into namespace x, which Application y creates in sync wave 0`. */
function describeNeed(key: string, creator: Release): string {
  const colon = key.indexOf(':');
  const [type, name] = [key.slice(0, colon), key.slice(colon + 1)];
  const by = `Application ${creator.application} creates in sync wave ${creator.wave}`;
  if (type === 'namespace') return `deploys into namespace ${name}, which ${by}`;
  if (type === 'project') return `belongs to AppProject ${name}, which ${by}`;
  const slash = name.lastIndexOf('/');
  return `renders ${name.slice(slash + 1)} (${name.slice(0, slash)}), whose CustomResourceDefinition ${by}`;
}

/**
 * Tiers are sync waves: whatever a release needs that another release of its cluster creates — the Namespace it
 * deploys into, the AppProject its Application belongs to, the CustomResourceDefinition of a kind it renders —
 * must come from a strictly lower wave (ArgoCD syncs waves in order and waits for each). What the bootstrap or
 * an external chart creates (ArgoCD's own namespace and CRDs) is not known offline and not checked.
 */
export function checkTiers(rendered: { release: Release; manifest: string }[], findings: Findings): void {
  const footprints = rendered.map(({ release, manifest }) => footprint(release, manifest));
  for (const user of footprints) {
    for (const need of user.needs) {
      const creators = footprints.filter(
        (c) =>
          c.release.cluster === user.release.cluster && c.release !== user.release && c.release.application !== user.release.application && c.creates.has(need),
      );
      if (creators.length === 0 || creators.some((c) => c.release.wave < user.release.wave)) continue;
      const first = creators.sort((a, b) => a.release.wave - b.release.wave)[0].release;
      findings.add(
        'tiers',
        `${whereDeclared(user.release)} (sync wave ${user.release.wave}) ${describeNeed(need, first)}`,
        `give ${first.application} a lower sync wave than ${user.release.application}: namespaces, AppProjects and CRDs sync before what uses them`,
      );
    }
  }
}

function footprint(release: Release, manifest: string): Footprint {
  const creates = new Set<string>();
  const needs = new Set<string>([`namespace:${release.namespace}`, `project:${release.project}`]);
  for (const { value } of splitManifests(manifest)) {
    if (!isRecord(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') continue;
    const metadata = isRecord(value.metadata) ? value.metadata : {};
    const name = typeof metadata.name === 'string' ? metadata.name : '';
    if (value.apiVersion === 'v1' && value.kind === 'Namespace') creates.add(`namespace:${name}`);
    if (value.apiVersion.startsWith('argoproj.io/') && value.kind === 'AppProject') creates.add(`project:${name}`);
    if (isCrd(value) && isRecord(value.spec) && isRecord(value.spec.names)) creates.add(`crd:${String(value.spec.group)}/${String(value.spec.names.kind)}`);
    if (typeof metadata.namespace === 'string' && metadata.namespace !== '') needs.add(`namespace:${metadata.namespace}`);
    const slash = value.apiVersion.lastIndexOf('/');
    if (slash > 0) needs.add(`crd:${value.apiVersion.slice(0, slash)}/${value.kind}`);
  }
  return { release, creates, needs };
}

/** `home: -10 argocd | -1 system | 0 networking | …`: the tiers as ArgoCD will sync them, one line per cluster. */
export function tierSummary(releases: Release[]): string[] {
  const byCluster = new Map<string, Map<number, Set<string>>>();
  for (const r of releases.filter((r) => r.origin !== 'convention')) {
    const waves = byCluster.get(r.cluster) ?? new Map<number, Set<string>>();
    byCluster.set(r.cluster, waves);
    const apps = waves.get(r.wave) ?? new Set<string>();
    waves.set(r.wave, apps);
    apps.add(r.application);
  }
  return [...byCluster.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([cluster, waves]) => {
      const tiers = [...waves.entries()].sort(([a], [b]) => a - b).map(([wave, apps]) => `${wave} ${[...apps].sort().join(', ')}`);
      return `${cluster}: sync waves ${tiers.join(' | ')}`;
    });
}
