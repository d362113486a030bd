// Second step of `npm run build`, after tsc: the homelab bin is bundled (bundle-bin.ts); executors.json and
// generators.json stay the one source (next to the .ts they name); dist/ gets copies naming the emitted .js, each
// schema.json beside its module, and build-id.json, the hash of everything emitted (the resolution cache keys on it,
// and Nx when the package is linked from outside the workspace); the bin becomes executable.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleBin } from './bundle-bin.ts';

const root = import.meta.dirname;
const dist = path.join(root, 'dist');

await bundleBin(root);

type Manifest = Record<string, Record<string, Record<string, string>>>;
const manifests = [
  { file: 'executors.json', collection: 'executors', modules: ['implementation', 'batchImplementation'] },
  { file: 'generators.json', collection: 'generators', modules: ['factory'] },
];

for (const { file, collection, modules } of manifests) {
  const manifest = JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Manifest;
  for (const [name, entry] of Object.entries(manifest[collection])) {
    for (const field of modules) {
      if (entry[field] === undefined) continue;
      entry[field] = entry[field].replace(/\.ts(#|$)/, '.js$1');
      const emitted = path.join(dist, entry[field].split('#')[0]);
      if (!existsSync(emitted)) throw new Error(`${file}: ${name}.${field} names ${entry[field]}, which tsc did not emit (is the .ts under src/?)`);
    }
    mkdirSync(path.dirname(path.join(dist, entry.schema)), { recursive: true });
    copyFileSync(path.join(root, entry.schema), path.join(dist, entry.schema));
  }
  writeFileSync(path.join(dist, file), `${JSON.stringify(manifest, null, 2)}\n`);
}

// tsc writes files without the executable bit; `npx homelab` in this workspace runs the bin through npm's link.
const { bin } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
for (const file of Object.values(bin)) chmodSync(path.join(root, file), 0o755);

const hash = createHash('sha256');
for (const rel of (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js') || f.endsWith('.json')).sort()) {
  // Not a bundle another build is swapping in (bundle-bin.ts).
  if (rel !== 'build-id.json' && !/\.(tmp|old)\//.test(rel)) hash.update(`${rel}\0`).update(readFileSync(path.join(dist, rel)));
}
writeFileSync(path.join(dist, 'build-id.json'), `${JSON.stringify({ build: hash.digest('hex') })}\n`);
