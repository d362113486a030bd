// renovate.json against Renovate itself: valid for the schema of the Renovate release named in
// test/fixtures/renovate/README.md, every pinned version of the repository read by one of its managers (a custom
// manager's regex really captures it), and the update tiers following the sync waves of the manifests.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseAllDocuments, type Node, type YAMLMap } from 'yaml';
import { createsReleases } from '../../tools/homelab/src/core/model/lookup.ts';
import { compileRE2 } from '../../tools/homelab/src/core/model/re2.ts';
import { resolveWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { matchGlob } from '../../tools/homelab/src/core/workspace/glob.ts';
import { normalizeLayout } from '../../tools/homelab/src/core/workspace/layout.ts';
import { repoRoot } from '../support/workspace.ts';

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  matchStringsStrategy?: 'any' | 'recursive' | 'combination';
}
interface PackageRule {
  matchFileNames?: string[];
  matchUpdateTypes?: string[];
  matchDatasources?: string[];
  groupName?: string;
  automerge?: boolean;
  enabled?: boolean;
}
interface RenovateConfig {
  customManagers: CustomManager[];
  packageRules: PackageRule[];
  [manager: string]: unknown;
}

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const config = JSON.parse(read('renovate.json')) as RenovateConfig;

/** How a pin is written, which decides the managers that can read it. */
type PinKind = 'chart-dependency' | 'upstream-chart' | 'image-map' | 'image-string' | 'kustomize-image' | 'tool';

/** One pinned version: the file, the offset of the version text in it, what it pins. */
interface Pin {
  file: string;
  kind: PinKind;
  name: string;
  version: string;
  offset: number;
}

const start = (node: Node) => node.range?.[0] ?? -1;
const text = (node: unknown) => (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number') ? String(node.value) : undefined);
/** The offset of the version inside a quoted or plain scalar. */
const scalarOffset = (node: Node, source: string) => start(node) + (/^["']/.test(source.slice(start(node))) ? 1 : 0);

/** `repo:tag` (no digest) of an image reference, split at the tag's colon. */
function splitImage(reference: string): { name: string; version: string; at: number } | undefined {
  const colon = reference.lastIndexOf(':');
  if (colon < 0 || reference.includes('@') || reference.slice(colon).includes('/')) return undefined;
  return { name: reference.slice(0, colon), version: reference.slice(colon + 1), at: colon + 1 };
}

/**
 * Every pin of one YAML file: image maps and image strings under a key ending in `image` (the shape Helm values and
 * manifests use), environment variables `*_VERSION`, Chart.yaml dependencies from a repository, and the chart
 * versions and Kustomize images of ArgoCD Application sources.
 */
function pinsOf(file: string, source: string): Pin[] {
  const pins: Pin[] = [];
  const add = (kind: PinKind, name: string, version: string, offset: number) => pins.push({ file, kind, name, version, offset });
  const walk = (node: unknown): void => {
    if (isSeq(node)) node.items.forEach(walk);
    if (!isMap(node)) return;
    const map = node as YAMLMap<unknown, unknown>;
    const name = text(map.get('name', true));
    const value = map.get('value', true);
    if (name?.endsWith('_VERSION') && isScalar(value)) add('tool', name, String(value.value), scalarOffset(value, source));
    for (const pair of map.items) {
      const key = text(pair.key);
      if (key && /image$/i.test(key) && isMap(pair.value)) {
        const repository = text(pair.value.get('repository', true));
        const tag = pair.value.get('tag', true) ?? pair.value.get('version', true);
        if (repository && isScalar(tag)) add('image-map', repository, String(tag.value), scalarOffset(tag, source));
      } else if (key && /image$/i.test(key) && isScalar(pair.value) && typeof pair.value.value === 'string') {
        const image = splitImage(pair.value.value);
        if (image) add('image-string', image.name, image.version, scalarOffset(pair.value, source) + image.at);
      }
      walk(pair.value);
    }
  };
  for (const doc of parseAllDocuments(source)) {
    const root = doc.contents;
    walk(root);
    if (!isMap(root)) continue;
    if (path.basename(file) === 'Chart.yaml') {
      const dependencies = root.get('dependencies', true);
      for (const dep of isSeq(dependencies) ? dependencies.items : []) {
        const version = isMap(dep) ? dep.get('version', true) : undefined;
        if (isMap(dep) && isScalar(version) && !String(text(dep.get('repository', true))).startsWith('file://')) {
          add('chart-dependency', String(text(dep.get('name', true))), String(version.value), scalarOffset(version, source));
        }
      }
    }
    const kind = text(root.get('kind', true));
    if (!text(root.get('apiVersion', true))?.startsWith('argoproj.io/') || (kind !== 'Application' && kind !== 'ApplicationSet')) continue;
    const spec = kind === 'Application' ? root.getIn(['spec'], true) : root.getIn(['spec', 'template', 'spec'], true);
    if (!isMap(spec)) continue;
    const sources = spec.get('sources', true);
    for (const src of [spec.get('source', true), ...(isSeq(sources) ? sources.items : [])]) {
      if (!isMap(src)) continue;
      const revision = src.get('targetRevision', true);
      if (text(src.get('chart', true)) && isScalar(revision))
        add('upstream-chart', String(text(src.get('chart', true))), String(revision.value), scalarOffset(revision, source));
      const images = src.getIn(['kustomize', 'images'], true);
      for (const item of isSeq(images) ? images.items : []) {
        const image = isScalar(item) && typeof item.value === 'string' ? splitImage(item.value) : undefined;
        if (image && isScalar(item)) add('kustomize-image', image.name, image.version, scalarOffset(item, source) + image.at);
      }
    }
  }
  return pins;
}

/** The YAML files of charts, environments and Kustomize sources that git sees (chart templates are no YAML). */
const yamlFiles = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', 'charts', 'clusters', 'kustomize'], {
  cwd: repoRoot,
})
  .toString()
  .split('\0')
  .filter((f) => /\.ya?ml$/.test(f) && !/^charts\/[^/]+\/(templates|charts)\//.test(f) && existsSync(path.join(repoRoot, f)));
const pins = yamlFiles.flatMap((file) => pinsOf(file, read(file)));

/** Renovate's file patterns: `/regex/` (RE2), else a minimatch glob (these use only `*`, `**` and braces). */
function matchesFile(patterns: readonly string[], file: string): boolean {
  return patterns.some((p) => {
    const regex = /^\/(.*)\/$/.exec(p);
    return regex ? compileRE2(regex[1], 'u').test(file) : matchGlob(p, file, 'doublestar');
  });
}

/** What a custom regex manager captures: each currentValue with its offset, the strategies applied as Renovate applies them. */
function captures(manager: CustomManager, source: string): { value: string; offset: number; depName?: string }[] {
  const strategy = manager.matchStringsStrategy ?? 'any';
  if (strategy === 'combination') throw new Error('this test does not know the combination strategy');
  const all = (pattern: string, within: { text: string; offset: number }) =>
    [...within.text.matchAll(new RegExp(pattern, 'gd'))].map((m) => ({ match: m, text: m[0], offset: within.offset + m.index }));
  let scopes = [{ text: source, offset: 0 }];
  const patterns = strategy === 'recursive' ? manager.matchStrings : [];
  for (const pattern of patterns.slice(0, -1)) scopes = scopes.flatMap((scope) => all(pattern, scope));
  const last = strategy === 'recursive' ? patterns.slice(-1) : manager.matchStrings;
  return scopes.flatMap((scope) =>
    last.flatMap((pattern) =>
      all(pattern, scope)
        .filter(({ match }) => match.groups?.currentValue !== undefined)
        .map(({ match, offset }) => ({
          value: match.groups!.currentValue,
          offset: offset - match.index + match.indices!.groups!.currentValue![0],
          depName: match.groups!.depName,
        })),
    ),
  );
}

/** The managers of renovate.json that read a pin, each by its own rules (lib/modules/manager/<name>/extract.ts). */
function readers(cfg: RenovateConfig, pin: Pin): string[] {
  const source = read(pin.file);
  const line = source.slice(source.lastIndexOf('\n', pin.offset) + 1, source.indexOf('\n', pin.offset));
  const builtin: Record<string, (p: Pin) => boolean> = {
    'helm-values': (p) => p.kind === 'image-map' || p.kind === 'image-string',
    helmv3: (p) => p.kind === 'chart-dependency',
    // Kustomize images only in the `name=image:tag` form.
    argocd: (p) => p.kind === 'upstream-chart' || (p.kind === 'kustomize-image' && p.name.includes('=')),
    // Line by line, in files with apiVersion and kind.
    kubernetes: (p) =>
      p.kind === 'image-string' && /^\s*-?\s*image:\s*['"]?[^\s'"]+['"]?\s*$/.test(line) && /apiVersion\s*:/.test(source) && /kind\s*:/.test(source),
  };
  const found = Object.entries(builtin)
    .filter(([name, reads]) => {
      const patterns = (cfg[name] as { managerFilePatterns?: string[] } | undefined)?.managerFilePatterns ?? [];
      return matchesFile(patterns, pin.file) && reads(pin);
    })
    .map(([name]) => name);
  cfg.customManagers.forEach((manager, index) => {
    if (!matchesFile(manager.managerFilePatterns, pin.file)) return;
    const hit = captures(manager, source).some(
      (c) => c.offset === pin.offset && c.value === pin.version && (c.depName === undefined || c.depName === pin.name),
    );
    if (hit) found.push(`customManagers[${index}]`);
  });
  return found;
}

const describePin = (p: Pin) => `${p.file}: ${p.kind} ${p.name} ${p.version}`;

describe('renovate.json', () => {
  it("is valid for Renovate's schema (the vendored release), which rejects what Renovate would reject", () => {
    const schema = JSON.parse(read('test/fixtures/renovate/renovate-schema.json')) as { title: string };
    expect(schema.title).toContain(/renovate@([\d.]+)/.exec(read('test/fixtures/renovate/README.md'))![1]);
    // The schema's own keywords (markdownDescription, allowComments) are Renovate's: not strict; its regex format is JavaScript's.
    const regex = (pattern: string) => {
      try {
        return Boolean(new RegExp(pattern));
      } catch {
        return false;
      }
    };
    const validate = new Ajv({ strict: false, allErrors: true, formats: { regex } }).compile(schema);
    expect(validate(config), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(validate({ ...config, automerge: 'yes' })).toBe(false);
    expect(validate({ ...config, customManagers: [{ customType: 'regex', matchStrings: 'not a list' }] })).toBe(false);
  });

  it("every custom manager's patterns are RE2, as Renovate compiles them", () => {
    const regexes = [
      ...config.customManagers.flatMap((m) => [...m.matchStrings, ...m.managerFilePatterns]),
      ...['helm-values', 'helmv3', 'argocd', 'kubernetes'].flatMap((m) => (config[m] as { managerFilePatterns: string[] }).managerFilePatterns),
    ];
    for (const pattern of regexes) expect(() => compileRE2(pattern.replace(/^\/(.*)\/$/, '$1'), 'gu'), pattern).not.toThrow();
  });

  it('reads every pinned version of the repository: chart versions, upstream charts, image tags, the version registries', () => {
    // The walk finds the example's pins of every shape: a walk that finds nothing proves nothing.
    const kinds = new Set(pins.map((p) => p.kind));
    expect([...kinds].sort()).toEqual(['image-map', 'image-string', 'kustomize-image', 'tool', 'upstream-chart']);
    expect(pins.some((p) => /^clusters\/[^/]+\/versions\//.test(p.file))).toBe(true);
    expect(pins.map(describePin)).toContain('clusters/home/apps/argocd.yaml: upstream-chart argo-cd 8.5.8');
    const unread = pins.filter((p) => readers(config, p).length === 0).map(describePin);
    expect(unread).toEqual([]);
    // Read once: two managers would propose the same update twice.
    const twice = pins.filter((p) => readers(config, p).length > 1).map((p) => `${describePin(p)} (${readers(config, p).join(', ')})`);
    expect(twice).toEqual([]);
  });

  it('a pin no manager reads is reported (the check can fail)', () => {
    const withoutKustomize = { ...config, customManagers: config.customManagers.filter((m) => !m.matchStrings.join('').includes('images:')) };
    const whoami = pins.filter((p) => p.kind === 'kustomize-image');
    expect(whoami.length).toBeGreaterThan(0);
    for (const pin of whoami) expect(readers(withoutKustomize, pin)).toEqual([]);
    // The same image map in a file no manager looks at.
    const elsewhere: Pin = { ...pins.find((p) => p.kind === 'image-map')!, file: 'README.md' };
    expect(readers(config, elsewhere)).toEqual([]);
  });
});

describe('update tiers follow the sync waves', () => {
  /** The tier of a sync wave, as docs/renovate.md defines it. */
  const tierOf = (wave: number) => (wave <= 0 ? 'infrastructure' : wave < 20 ? 'platform' : 'apps');
  /** What Renovate decides for an update of a file: the rules apply in order, a later match overriding. */
  const decide = (file: string, updateType: string) => {
    const decided: PackageRule = {};
    for (const rule of config.packageRules) {
      if (rule.matchDatasources) continue;
      if (rule.matchFileNames && !matchesFile(rule.matchFileNames, file)) continue;
      if (rule.matchUpdateTypes && !rule.matchUpdateTypes.includes(updateType)) continue;
      Object.assign(decided, rule);
    }
    return { group: decided.groupName, automerge: decided.automerge, enabled: decided.enabled !== false };
  };

  it('the pins of each release are grouped by its tier; apps automerge minor and patch, platform patch only, infrastructure never, no tier a major', async () => {
    const resolution = await resolveWorkspace(normalizeLayout(repoRoot));
    const automerges = { apps: ['minor', 'patch'], platform: ['patch'], infrastructure: [] as string[] };
    let checked = 0;
    // An app-of-apps renders Applications: their pins belong to the releases they define.
    for (const release of resolution.releases.filter((r) => !createsReleases(r, resolution.releases))) {
      const tier = tierOf(release.wave);
      const files = new Set([...release.definedIn, `clusters/${release.cluster}/versions/${release.name}.yaml`]);
      const owned = pins.filter((p) => files.has(p.file) || p.file.startsWith(`${release.chartDir}/`));
      for (const pin of owned) {
        checked++;
        const where = `${describePin(pin)} of ${release.cluster}/${release.name} (sync wave ${release.wave})`;
        expect(decide(pin.file, 'patch').group, where).toBe(tier);
        for (const type of ['major', 'minor', 'patch']) expect(decide(pin.file, type).automerge, `${where}, ${type}`).toBe(automerges[tier].includes(type));
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('Renovate updates lab; the pins of home for apps lab also deploys move only by promotion', async () => {
    const resolution = await resolveWorkspace(normalizeLayout(repoRoot));
    const inLab = new Set(resolution.releases.filter((r) => r.cluster === 'lab').map((r) => r.name));
    expect(inLab.size).toBeGreaterThan(0);
    for (const pin of pins.filter((p) => p.file.startsWith('clusters/'))) {
      const [, env, dir, file] = pin.file.split('/');
      const promoted = env === 'home' && (dir === 'apps' || dir === 'versions') && inLab.has(file.replace(/\.ya?ml$/, ''));
      expect(decide(pin.file, 'patch').enabled, describePin(pin)).toBe(!promoted);
    }
    expect(new Set(resolution.releases.map((r) => tierOf(r.wave)))).toEqual(new Set(['infrastructure', 'platform', 'apps']));
  });
});
