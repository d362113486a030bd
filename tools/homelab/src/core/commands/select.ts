// Many releases at once, chosen the way a shell user types them: several charts or releases, --all, or the selectors
// --cluster, --wave and --tier; always in the order ArgoCD syncs them (wave by wave).
import { HomelabError } from '../model/errors.ts';
import { clusterNamed } from '../model/lookup.ts';
import type { Release } from '../model/types.ts';
import { selectReleases, type Workspace } from '../resolve/workspace.ts';

/**
 * The tiers are named ranges of sync waves: infrastructure is tier 0 (the bootstrap chart and every wave <= 0, what
 * everything else runs on), apps start at wave 20 (the example's and the service generator's apps wave), platform is
 * in between.
 */
export const TIERS = ['infrastructure', 'platform', 'apps'] as const;
export type Tier = (typeof TIERS)[number];

const APPS_WAVE = 20;

/** Tier 0: the bootstrap chart and every release in wave <= 0 (infrastructure everything else runs on). */
export function isTier0(release: Release, bootstrapChart = 'system'): boolean {
  return release.chart === bootstrapChart || release.wave <= 0;
}

export function tierOf(release: Release): Tier {
  if (isTier0(release)) return 'infrastructure';
  return release.wave < APPS_WAVE ? 'platform' : 'apps';
}

export interface Selection {
  /** Chart names, release names or `<cluster>/<release>`, as typed. */
  targets: readonly string[];
  /** Every release (narrowed by the other selectors). */
  all?: boolean;
  cluster?: string;
  wave?: number;
  tier?: Tier;
  /** Only releases deploying there (the Application decides the namespace). */
  namespace?: string;
}

/**
 * Whether the selection asks for more than the one chart or release every command took before: the single path
 * (and its output) stays exactly as it was for `<cmd> monitoring`.
 */
export function selectsMany(selection: Selection): boolean {
  const { targets, all, cluster, wave, tier } = selection;
  return targets.length > 1 || Boolean(all) || wave !== undefined || tier !== undefined || (targets.length === 0 && cluster !== undefined);
}

/**
 * The releases a selection names, each once, in wave order (a stable sort: the resolver's order within a wave).
 * Named targets go through selectReleases, so a name is refused exactly as the single-release commands refuse it;
 * the selectors narrow what the names (or --all) chose.
 */
export function selectMany(ws: Workspace, selection: Selection): Release[] {
  const { targets, all, cluster, wave, tier, namespace } = selection;
  if (all && targets.length > 0) throw new HomelabError(`--all and ${targets.join(' ')} together`, 'name releases, or pass --all, not both');
  if (cluster !== undefined && !clusterNamed(ws.resolution.clusters, cluster)) {
    const known = ws.resolution.clusters.map((c) => c.name).join(', ');
    throw new HomelabError(`--cluster ${cluster}: no cluster directory of that name`, `known clusters: ${known || 'none'}`);
  }
  let chosen: Release[];
  if (targets.length > 0) {
    chosen = [...new Set(targets.flatMap((target) => selectReleases(ws, target, cluster, namespace)))];
  } else {
    if (!selectsMany(selection)) {
      throw new HomelabError('no chart or release named', 'name one or more, or select them with --all, --cluster <name>, --wave <n> or --tier <tier>');
    }
    chosen = ws.resolution.releases.filter((r) => cluster === undefined || r.cluster === cluster);
    if (namespace !== undefined) chosen = chosen.filter((r) => r.namespace === namespace);
  }
  const selected = chosen.filter((r) => (wave === undefined || r.wave === wave) && (tier === undefined || tierOf(r) === tier));
  if (selected.length === 0)
    throw new HomelabError(`no release matches ${describeSelection(selection)}`, `waves: ${wavesOf(chosen)}; tiers: ${TIERS.join(', ')}`);
  return selected.sort((a, b) => a.wave - b.wave);
}

/** `--wave 5 --cluster home`: the selection as typed, for refusals and the confirmation question. */
export function describeSelection({ targets, all, cluster, wave, tier, namespace }: Selection): string {
  const parts = [...targets, ...(all ? ['--all'] : [])];
  if (cluster !== undefined) parts.push(`--cluster ${cluster}`);
  if (wave !== undefined) parts.push(`--wave ${wave}`);
  if (tier !== undefined) parts.push(`--tier ${tier}`);
  if (namespace !== undefined) parts.push(`-n ${namespace}`);
  return parts.join(' ');
}

/** `-1 (infrastructure), 10 (platform)`: the waves there are to choose from. */
function wavesOf(releases: Release[]): string {
  const waves = [...new Set([...releases].sort((a, b) => a.wave - b.wave).map((r) => `${r.wave} (${tierOf(r)})`))];
  return waves.join(', ') || 'none';
}
