// Part of `npm run build` after tsc (build-manifests.ts runs it first): what a process starts from is bundled, so Node
// reads and compiles a few files instead of resolving ~240 modules one by one on every run, the larger part of a
// render's startup. The escape hatch — the homelab bin, and `@homelab/nx/bin`, which the hack/ launchers import — is
// dist/src/bundle (package.json's bin and ./bin), one chunk per command, loaded only when it runs, replaced whole:
// builds run side by side in one checkout. Each runtime input of the Nx targets (src/cli) becomes one file in place of
// tsc's; the Nx plugin, which every nx command loads, is dist/src/plugin-bundle (its graph code one chunk). The
// libraries on those paths are bundled; the others stay imports (loaded lazily, or reading files next to themselves:
// re2-wasm's WebAssembly, the Kubernetes schemas).
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type BuildOptions, build } from 'esbuild';

const BUNDLED = new Set([
  'yaml',
  'age-encryption',
  '@noble/hashes',
  '@noble/curves',
  '@noble/ciphers',
  '@noble/post-quantum',
  '@scure/base',
  'chalk',
  'diff',
  'shamir-secret-sharing',
]);

/** The package a bare import names (`@noble/hashes/sha2.js` → `@noble/hashes`). */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** A Node built-in's import as esbuild writes it in a chunk: `import a, { b, c as d } from "node:x";`. */
const BUILTIN_IMPORT = /^import (?:([\w$]+)(?:, )?)?(?:\{ ([^}]*) \})? from "(node:[\w/]+)";$/gm;

/**
 * The chunk with each built-in read by `process.getBuiltinModule` instead of imported: importing a built-in as ESM
 * builds a facade reading every export, which runs the lazy ones (crypto's webcrypto, util's TextDecoder) on every run.
 */
function withoutBuiltinImports(code: string): string {
  return code.replace(BUILTIN_IMPORT, (_, name: string | undefined, named: string | undefined, specifier: string) => {
    const builtin = `globalThis.process.getBuiltinModule(${JSON.stringify(specifier)})`;
    const bindings = named && `{ ${named.replaceAll(' as ', ': ')} }`;
    if (name && bindings) return `const ${name} = ${builtin}, ${bindings} = ${name};`;
    return `const ${name ?? bindings} = ${builtin};`;
  });
}

/**
 * esbuild's options for `entries` (name → source) written to `outDir`, a directory of dist/ beside tsc's output,
 * which stays: code that finds files relative to itself (the package root, build-id.json) sees the URL tsc's emitted
 * module has, so its relative paths still hold. An entry keeps its own URL (the bin names itself in the completion
 * script).
 */
function options(root: string, entries: Record<string, string>, outDir: string): BuildOptions {
  const entryFiles = Object.values(entries);
  return {
    entryPoints: entries,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    logLevel: 'warning',
    // Bundled CommonJS (yaml's) requires Node's modules, which an ES module reaches only through createRequire.
    banner: { js: 'const require = globalThis.process.getBuiltinModule("node:module").createRequire(import.meta.url);' },
    plugins: [
      {
        name: 'external-packages',
        setup(b) {
          // Only bare package names: relative paths and a package's own `#imports` (chalk's) are bundled.
          b.onResolve({ filter: /^(@[\w.-]+\/)?\w/ }, (args) => (BUNDLED.has(packageOf(args.path)) ? undefined : { path: args.path, external: true }));
        },
      },
      {
        name: 'module-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (args) => {
            const id = args.path;
            if (!id.startsWith(path.join(root, 'src')) || entryFiles.includes(id)) return undefined;
            const code = await readFile(id, 'utf8');
            if (!code.includes('import.meta.url')) return undefined;
            const emitted = path.join(root, 'dist', path.relative(root, id)).replace(/\.ts$/, '.js');
            const relative = path.relative(outDir, emitted).split(path.sep).join('/');
            return { contents: code.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: 'ts' };
          });
        },
      },
    ],
  };
}

/** Bundles `entries` into the directory `into`; `splitting`: one chunk per dynamic import and shared code. */
async function emit(root: string, entries: Record<string, string>, outDir: string, into: string, splitting: boolean): Promise<void> {
  // Not written by esbuild: each chunk is written without its built-in imports.
  const result = await build({ ...options(root, entries, outDir), outdir: into, splitting, write: false });
  mkdirSync(into, { recursive: true });
  for (const file of result.outputFiles) writeFileSync(file.path, withoutBuiltinImports(file.text));
}

/** Moves `from` to `to`, replacing what is there (a directory too); another build may do the same meanwhile. */
function replace(from: string, to: string): void {
  const old = `${to}.${process.pid}.old`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      renameSync(to, old);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      renameSync(from, to);
      break;
    } catch (err) {
      // Another build put its output there in between: move that one aside too.
      if (attempt === 5 || !['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      rmSync(old, { recursive: true, force: true });
    }
  }
  rmSync(old, { recursive: true, force: true });
}

/**
 * Bundles the homelab bin into dist/src/bundle, each src/cli script over tsc's dist/src/cli/<name>.js and the plugin
 * into dist/src/plugin-bundle.
 */
export async function bundleBin(root: string): Promise<void> {
  const src = (file: string) => path.join(root, 'src', file);
  const outDir = path.join(root, 'dist', 'src', 'bundle');
  // Written beside, then swapped in: a build running at the same time never deletes chunks this one's entries name.
  const temp = `${outDir}.${process.pid}.tmp`;
  await emit(root, { run: src('bin/run.ts'), homelab: src('bin/homelab.ts') }, outDir, temp, true);
  replace(temp, outDir);

  const cliDir = path.join(root, 'dist', 'src', 'cli');
  for (const file of readdirSync(src('cli')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    await bundleOver(root, file.slice(0, -3), src(`cli/${file}`), cliDir);
  }
  // The plugin, which every nx command loads: its entry chunk holds what computing the project graph needs, the
  // rest (the secrets engine, the helm runs of preTasksExecution) chunks loaded when used — Node reads and compiles
  // ~0.4 MB instead of ~1 MB. dist/plugin.js, the package's main, re-exports it.
  const pluginDir = path.join(root, 'dist', 'src', 'plugin-bundle');
  await emit(root, { plugin: path.join(root, 'plugin.ts') }, pluginDir, `${pluginDir}.${process.pid}.tmp`, true);
  replace(`${pluginDir}.${process.pid}.tmp`, pluginDir);
  const main = path.join(root, 'dist', `plugin.js.${process.pid}.tmp`);
  writeFileSync(main, "export * from './src/plugin-bundle/plugin.js';\n");
  replace(main, path.join(root, 'dist', 'plugin.js'));
}

/** One file `<outDir>/<name>.js` bundled from `source`, in place of the module tsc emitted there. */
async function bundleOver(root: string, name: string, source: string, outDir: string): Promise<void> {
  const dir = `${outDir}.${name}.${process.pid}.tmp`;
  await emit(root, { [name]: source }, outDir, dir, false);
  replace(path.join(dir, `${name}.js`), path.join(outDir, `${name}.js`));
  rmSync(dir, { recursive: true, force: true });
}
