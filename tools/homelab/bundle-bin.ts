// Part of `npm run build` after tsc (build-manifests.ts runs it first): the escape hatch — the homelab bin, and
// `@homelab/nx/bin`, which the hack/ launchers import — becomes a few bundled files instead of the ~240 modules Node
// would otherwise resolve, read and compile one by one on every run, the larger part of a render's startup. Each
// command stays its own chunk, loaded only when it runs. The libraries on every command's path are bundled; the others
// stay imports (loaded lazily, or reading files next to themselves: re2-wasm's WebAssembly, the Kubernetes schemas).
// The bundle is dist/src/bundle (package.json's bin and ./bin), replaced whole: builds run side by side in one checkout.
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { rolldown } from 'rolldown';

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

const ENTRIES = { run: 'src/bin/run.ts', homelab: 'src/bin/homelab.ts' };

/** Bundles the bin's entries (ENTRIES) of the package at `root` into dist/src/bundle. */
export async function bundleBin(root: string): Promise<void> {
  const outDir = path.join(root, 'dist', 'src', 'bundle');
  const entries = Object.values(ENTRIES).map((file) => path.join(root, file));
  const bundle = await rolldown({
    input: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(root, file)])),
    platform: 'node',
    // Only bare package names: relative paths, a package's own `#imports` (chalk's) and rolldown's helpers are bundled.
    external: (id) => /^(@[\w.-]+\/)?\w/.test(id) && !BUNDLED.has(packageOf(id)),
    plugins: [
      {
        // Code that finds files relative to itself (the package root, build-id.json) sees the URL tsc's emitted module
        // would have: dist/src/bundle is as deep as tsc's output, which stays, so relative paths still hold. An entry
        // keeps its own URL (the bin names itself in the completion script).
        name: 'module-url',
        transform(code, id) {
          if (!id.startsWith(path.join(root, 'src')) || entries.includes(id) || !code.includes('import.meta.url')) return null;
          const emitted = path.join(root, 'dist', path.relative(root, id)).replace(/\.ts$/, '.js');
          const relative = path.relative(outDir, emitted).split(path.sep).join('/');
          return code.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`);
        },
      },
    ],
    logLevel: 'warn',
  });
  // Written beside, then swapped in: a build running at the same time never deletes chunks this one's entries name.
  const temp = `${outDir}.${process.pid}.tmp`;
  await bundle.write({ dir: temp, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' });
  const old = `${outDir}.${process.pid}.old`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      renameSync(outDir, old);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      renameSync(temp, outDir);
      break;
    } catch (err) {
      // Another build swapped its bundle in between: move that one aside too.
      if (attempt === 5 || !['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      rmSync(old, { recursive: true, force: true });
    }
  }
  rmSync(old, { recursive: true, force: true });
  await bundle.close();
}
