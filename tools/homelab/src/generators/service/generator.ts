import { posix } from 'node:path';
import { logger, type Tree } from '@nx/devkit';
import { expandApplicationSet } from '../../core/resolve/argocd/applicationset.ts';
import { errorLine, HomelabError } from '../../core/model/errors.ts';
import { resolveHelm } from '../../core/helm/helm.ts';
import { matchGlob } from '../../core/workspace/glob.ts';
import type { Resolution } from '../../core/resolve/releases.ts';
import { buildDependencies } from '../../core/helm/render.ts';
import type { Chart, ClusterDeclaration, Release } from '../../core/model/types.ts';
import { isRecord, parseYamlDocuments } from '../../core/workspace/yaml-docs.ts';
import { pluginOptions, resolveTree, TreeFiles, treeLayout } from '../tree-files.ts';
import { appendEntry, hasEntry } from '../yaml-edit.ts';
import { applicationYaml } from './application.ts';
import { LIBRARY_TEMPLATES, parseImage, PLACEHOLDER_ENV, PLACEHOLDER_IMAGE, serviceChartFiles } from './chart.ts';
import { addSecretsPlaceholder, assertSecretsOpen } from './secrets.ts';
import { chartNamed, clusterNamed } from '../../core/model/lookup.ts';

export interface ServiceGeneratorSchema {
  name: string;
  /** Sync wave of the new Application. */
  tier: number;
  /** Default: the name. */
  namespace?: string;
  /** Cluster directory name; default the only cluster. */
  cluster?: string;
  /** Parent directory of the new chart; default the static part of the first chart glob (`charts`). */
  directory?: string;
  /** Library chart to build on; default `common`, else the only library chart. */
  library?: string;
  /** `repository:tag`; default a small placeholder web server. */
  image?: string;
  port?: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * `nx g @homelab/nx:service <name> --tier <wave>`: a chart on the library chart, the Application that deploys it
 * in the right sync wave (or nothing, when an ApplicationSet of that wave already generates it), its namespace in
 * the bootstrap chart's `namespaces`, and an encrypted placeholder under `<name>:` in the secrets file its
 * Application reads. Everything goes through the Tree (secrets encrypted in memory); the resolver reads the Tree,
 * so the result is checked before Nx writes a byte. Existing YAML is edited in place (appendEntry).
 */
export default async function serviceGenerator(tree: Tree, schema: ServiceGeneratorSchema) {
  try {
    return await generate(tree, schema);
  } catch (err) {
    // Nx prints the message of what a generator throws: make it our one line, hint included.
    throw new Error(errorLine(err));
  }
}

async function generate(tree: Tree, schema: ServiceGeneratorSchema) {
  const name = schema.name;
  const namespace = schema.namespace ?? name;
  if (!DNS_LABEL.test(name) || name.length > 53) {
    throw new HomelabError(`invalid service name "${name}"`, 'use lowercase letters, digits and "-" (at most 53 characters: it is the Helm release name)');
  }
  if (!DNS_LABEL.test(namespace) || namespace.length > 63) throw new HomelabError(`invalid namespace "${namespace}"`, 'use a DNS-1123 label');
  if (!Number.isInteger(schema.tier))
    throw new HomelabError(`--tier must be a whole number (a sync wave), not "${String(schema.tier)}"`, 'e.g. --tier 20, or --tier=-1');
  const wave = schema.tier;

  const options = pluginOptions(tree);
  const layout = treeLayout(tree);
  const before = await resolveTree(tree, layout);
  const existing = chartNamed(before.charts, name);
  if (existing) throw new HomelabError(`a chart named ${name} exists already (${existing.dir})`, 'choose another name');
  const cluster = pickCluster(before, schema.cluster);
  const library = pickLibrary(before, schema.library);
  const macros = libraryMacros(tree, library);
  const dir = chartDirectory(layout.charts, schema.directory, name);
  if (tree.exists(dir)) throw new HomelabError(`${dir} exists already`, 'choose another name or remove the directory');

  // Secrets first: with no key for the secrets file the cluster's Applications read, fail before any change.
  const secretFiles = [
    ...new Set(before.releases.filter((r) => r.cluster === cluster.name).flatMap((r) => r.valueFiles.filter((v) => v.secret).map((v) => v.path))),
  ];
  await assertSecretsOpen(tree, secretFiles);

  const namespaces = namespacesOwner(tree, before, options.bootstrapChart, cluster);
  if (namespaces?.release && namespaces.release.wave >= wave) {
    throw new HomelabError(
      `tier ${wave} is not above sync wave ${namespaces.release.wave} of ${namespaces.release.application}, which creates the namespaces`,
      `use a tier above ${namespaces.release.wave}`,
    );
  }

  const image = schema.image === undefined ? parseImage(PLACEHOLDER_IMAGE)! : parseImage(schema.image);
  if (!image) throw new HomelabError(`--image "${schema.image}" has no tag`, 'write repository:tag, e.g. ghcr.io/org/app:1.2.3');
  const port = schema.port ?? 8080;
  const files = serviceChartFiles({ name, dir, library, macros, wave, image, port, env: schema.image === undefined ? PLACEHOLDER_ENV(port) : {} });
  for (const [file, content] of Object.entries(files)) tree.write(file, content);

  const notes: string[] = [`${dir}/: chart on ${library.dir}`];
  const generated = (await resolveTree(tree, layout)).releases.filter((r) => r.chartDir === dir && r.cluster === cluster.name && r.origin !== 'convention');
  const fits = generated.length === 1 && generated[0].wave === wave && generated[0].namespace === namespace;
  if (fits) {
    notes.push(`no Application written: ${generated[0].definedIn[0]} (${generated[0].origin}) already deploys it in sync wave ${wave}`);
  } else {
    for (const release of generated) notes.push(excludeFromApplicationSet(tree, release, dir, wave));
    const file = await writeApplication(tree, before, cluster, {
      name,
      dir,
      namespace,
      wave,
      files: new Set(Object.keys(files)),
      createNamespace: !namespaces,
    });
    notes.push(`${file}: Application ${name} in sync wave ${wave}`);
  }

  const after = (await resolveTree(tree, layout)).releases.filter((r) => r.chartDir === dir && r.cluster === cluster.name && r.origin !== 'convention');
  if (after.length !== 1 || after[0].wave !== wave || after[0].namespace !== namespace) {
    const found = after.map((r) => `${r.name} (wave ${r.wave}, namespace ${r.namespace}, ${r.definedIn[0]})`).join(', ') || 'none';
    throw new HomelabError(
      `the new chart would not be deployed once in sync wave ${wave} to namespace ${namespace} (found: ${found})`,
      'add the Application by hand',
    );
  }
  const release = after[0];

  if (namespaces && !hasEntry(tree.read(namespaces.file, 'utf-8')!, ['namespaces'], { key: namespace })) {
    tree.write(
      namespaces.file,
      appendEntry(tree.read(namespaces.file, 'utf-8')!, namespaces.file, ['namespaces'], { key: namespace, value: { podSecurity: 'restricted' } }),
    );
    notes.push(`${namespaces.file}: namespace ${namespace} (podSecurity restricted)`);
  } else if (!namespaces) {
    notes.push(
      `namespace ${namespace}: no chart declares namespaces (values.yaml \`namespaces:\` of ${options.bootstrapChart}); the Application creates it (CreateNamespace=true) when it writes one`,
    );
  }

  const secretFile = release.valueFiles.find((v) => v.secret)?.path;
  if (secretFile) notes.push(await addSecretsPlaceholder(tree, secretFile, name));
  else notes.push(`no secrets file: release ${release.name} reads none, so ${name}: in values.yaml stays empty`);

  for (const note of notes) logger.info(`homelab: ${note}`);
  const chartOf = (d: string): Chart => ({
    name,
    dir: d,
    type: 'application',
    version: '0.1.0',
    localDependencies: [{ name: library.name, dir: library.dir }],
    hasDependencies: true,
  });
  // After Nx wrote the files: package the library into charts/ and write Chart.lock, so the chart renders at once.
  return async () => {
    await buildDependencies(tree.root, await resolveHelm(), chartOf(dir));
    logger.info(`homelab: ${dir}/Chart.lock written (helm dependency build --skip-refresh); try: npx nx run ${name}:template`);
  };
}

function pickCluster(resolution: Resolution, wanted: string | undefined): ClusterDeclaration {
  const names = resolution.clusters.map((c) => c.name);
  if (wanted !== undefined) {
    const cluster = clusterNamed(resolution.clusters, wanted);
    if (!cluster) throw new HomelabError(`unknown cluster "${wanted}"`, `known clusters: ${names.join(', ') || 'none'}`);
    return cluster;
  }
  if (resolution.clusters.length !== 1) {
    throw new HomelabError(
      `${resolution.clusters.length === 0 ? 'no cluster directory found' : `several clusters: ${names.join(', ')}`}`,
      'pass --cluster <name>, or check the clusterGlobs option',
    );
  }
  return resolution.clusters[0];
}

function pickLibrary(resolution: Resolution, wanted = 'common'): Chart {
  const libraries = resolution.charts.filter((c) => c.type === 'library');
  const library = libraries.find((c) => c.name === wanted) ?? (libraries.length === 1 ? libraries[0] : undefined);
  if (!library) {
    throw new HomelabError(
      `no library chart ${wanted}${libraries.length > 1 ? ` (library charts: ${libraries.map((c) => c.name).join(', ')})` : ''}`,
      'pass --library <chart>, or add a library chart (type: library)',
    );
  }
  return library;
}

/** The prefix of the library's named templates the new chart calls (`common` for `{{ define "common.app" }}`). */
function libraryMacros(tree: Tree, library: Chart): string {
  const defines = tree
    .children(`${library.dir}/templates`)
    .flatMap((file) => [...(tree.read(`${library.dir}/templates/${file}`, 'utf-8') ?? '').matchAll(/define\s+"([\w.-]+)"/g)].map((m) => m[1]));
  const prefix = defines.find((d) => d.endsWith('.app'))?.slice(0, -'.app'.length);
  const missing = LIBRARY_TEMPLATES.filter((t) => !defines.includes(`${prefix}.${t}`));
  if (prefix === undefined || missing.length > 0) {
    throw new HomelabError(
      `library chart ${library.name} (${library.dir}) lacks the templates ${LIBRARY_TEMPLATES.map((t) => `<prefix>.${t}`).join(', ')}`,
      'the service generator builds on a library like charts/common of the example (common.app, common.secret, common.resourceName)',
    );
  }
  return prefix;
}

function chartDirectory(globs: string[], directory: string | undefined, name: string): string {
  const parent = directory?.replace(/^\.\//, '').replace(/\/+$/, '') ?? globs.map((g) => /^([^*?[{]+)\/\*$/.exec(g)?.[1]).find((p) => p !== undefined);
  if (parent === undefined)
    throw new HomelabError(`no chart directory to put ${name} in: chart globs are ${globs.join(', ')}`, 'pass --directory <parent of the new chart>');
  const dir = `${parent}/${name}`;
  if (!globs.some((glob) => matchGlob(glob, dir, 'doublestar'))) {
    throw new HomelabError(`${dir} is not matched by the chart globs (${globs.join(', ')})`, 'pass a --directory the chartGlobs option covers');
  }
  return dir;
}

/**
 * Where the cluster's namespaces are declared: the bootstrap chart's values.yaml with a block `namespaces:` map
 * (the example's charts/system), and the release that creates them (its wave must be below the new one).
 */
function namespacesOwner(
  tree: Tree,
  resolution: Resolution,
  bootstrapChart: string,
  cluster: ClusterDeclaration,
): { file: string; release?: Release } | undefined {
  const chart = chartNamed(resolution.charts, bootstrapChart);
  const file = chart && `${chart.dir}/values.yaml`;
  if (!file || !tree.exists(file)) return undefined;
  const values = parseYamlDocuments(tree.read(file, 'utf-8')!, file)[0];
  if (!isRecord(values) || !isRecord(values.namespaces)) return undefined;
  return { file, release: resolution.releases.find((r) => r.chart === bootstrapChart && r.cluster === cluster.name && r.origin !== 'convention') };
}

/** An ApplicationSet generated the chart in another wave or namespace: exclude it there, next to the other excludes. */
function excludeFromApplicationSet(tree: Tree, release: Release, dir: string, wave: number): string {
  const file = release.definedIn[0];
  if (release.origin !== 'applicationset') {
    throw new HomelabError(
      `${file} deploys ${dir} in sync wave ${release.wave} (${release.origin})`,
      `change it there to sync wave ${wave}, or use --tier ${release.wave}`,
    );
  }
  const text = tree.read(file, 'utf-8')!;
  const docs = parseYamlDocuments(text, file);
  const index = docs.findIndex((d) => isRecord(d) && d.kind === 'ApplicationSet');
  const generators = isRecord(docs[index]) && isRecord(docs[index].spec) && Array.isArray(docs[index].spec.generators) ? docs[index].spec.generators : [];
  const at = generators.findIndex((g) => isRecord(g) && isRecord(g.git) && Array.isArray(g.git.directories));
  if (docs.length !== 1 || at < 0) {
    throw new HomelabError(
      `${file}: ApplicationSet generates ${dir} in sync wave ${release.wave}, and it has no git directories generator to exclude it from`,
      `exclude ${dir} there by hand`,
    );
  }
  tree.write(file, appendEntry(text, file, ['spec', 'generators', at, 'git', 'directories'], { value: { path: dir, exclude: true } }));
  return `${file}: ${dir} excluded (the ApplicationSet deploys in sync wave ${release.wave})`;
}

/**
 * Writes `<dir of the sibling's manifest>/<name>.yaml`. The sibling is a plain Application of the cluster deploying
 * a chart of the repository, the nearest in sync wave, preferring one that reads a secrets file; else a generated
 * one (its ApplicationSet's directory).
 */
async function writeApplication(
  tree: Tree,
  resolution: Resolution,
  cluster: ClusterDeclaration,
  app: { name: string; dir: string; namespace: string; wave: number; files: Set<string>; createNamespace: boolean },
): Promise<string> {
  const candidates = resolution.releases.filter((r) => r.cluster === cluster.name && (r.origin === 'application' || r.origin === 'applicationset'));
  const score = (r: Release) => [r.origin === 'application' ? 0 : 1, Math.abs(r.wave - app.wave), r.valueFiles.some((v) => v.secret) ? 0 : 1];
  const sibling = candidates.sort((a, b) => {
    const [x, y] = [score(a), score(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  })[0];
  if (!sibling) {
    throw new HomelabError(
      `cluster ${cluster.name} has no Application deploying a chart of this repository to model the new one on`,
      `write ${cluster.dir}/${app.name}.yaml by hand`,
    );
  }
  const manifest = sibling.definedIn[0];
  const docs =
    sibling.origin === 'application'
      ? parseYamlDocuments(tree.read(manifest, 'utf-8')!, manifest).filter(isRecord)
      : await expandApplicationSet(
          parseYamlDocuments(tree.read(manifest, 'utf-8')!, manifest).find((d) => isRecord(d) && d.kind === 'ApplicationSet') as Record<string, unknown>,
          manifest,
          new TreeFiles(tree),
        );
  const doc = docs.find((d) => d.kind === 'Application' && isRecord(d.metadata) && d.metadata.name === sibling.application);
  if (!doc) throw new HomelabError(`${manifest}: Application ${sibling.application} not found`, 'add the Application of the new chart by hand');
  const file = `${posix.dirname(manifest)}/${app.name}.yaml`;
  if (tree.exists(file)) throw new HomelabError(`${file} exists already`, 'remove it or choose another name');
  tree.write(
    file,
    applicationYaml({
      name: app.name,
      chartDir: app.dir,
      namespace: app.namespace,
      wave: app.wave,
      chartFiles: app.files,
      sibling: { doc, release: sibling },
      createNamespace: app.createNamespace,
    }),
  );
  return file;
}
