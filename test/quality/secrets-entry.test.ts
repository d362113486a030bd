// The SOPS layer has one door: code outside core/secrets imports core/secrets/index.ts, never a file behind it, and
// walking through that door stays cheap (the engines load inside the functions that use them).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const secrets = path.join(root, 'tools/homelab/src/core/secrets');
const entry = path.join(secrets, 'index.ts');

/** The TypeScript files of a folder and below, node_modules and build output left out. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => !/[/\\](node_modules|dist)[/\\]/.test(path.relative(root, f)));
}

/** Every module specifier of a file: static imports and re-exports, dynamic import(), vi.mock(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]|\bimport\s+['"]([^'"]+)['"]|\bvi\.mock\(\s*['"]([^'"]+)['"]/g)) {
    found.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return found;
}

/** `file:line: specifier` for each import outside core/secrets that reaches behind its entry. */
function deepImports(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    if (!path.relative(secrets, file).startsWith('..')) continue;
    const source = readFileSync(file, 'utf8');
    for (const spec of specifiers(source)) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (path.relative(secrets, target).startsWith('..') || target === entry) continue;
      const line = source.slice(0, source.indexOf(spec)).split('\n').length;
      out.push(`${path.relative(root, file)}:${line}: ${spec}`);
    }
  }
  return out;
}

describe('core/secrets entry', () => {
  it('is the only secrets module imported from outside core/secrets', () => {
    const files = ['tools/homelab', 'test', 'bench'].flatMap((dir) => tsFiles(path.join(root, dir)));
    expect(files.length).toBeGreaterThan(100);
    expect(deepImports(files)).toEqual([]);
  });

  it('the check sees a deep import, a dynamic one and a re-export', () => {
    const file = path.join(root, 'tools/homelab/src/core/commands/example.ts');
    const sources = [
      "import { openSecrets } from '../secrets/secret-source.ts';",
      "const { decryptFile } = await import('../secrets/backend.ts');",
      "export { SecretsDocument } from '../secrets/document.ts';",
    ];
    for (const source of sources) expect(specifiers(source).map((s) => path.resolve(path.dirname(file), s).startsWith(secrets))).toEqual([true]);
    expect(specifiers("import { openSecrets } from '../secrets/index.ts';")).toEqual(['../secrets/index.ts']);
  });

  it('loads neither age-encryption, RE2, the built-in engine nor the sops CLI path on import', async () => {
    // Every module the import loads, seen by a module hook registered before it.
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
      await import(${JSON.stringify(pathToFileURL(entry).href)});
      process.stdout.write(JSON.stringify(seen));
    `;
    const child = await execa(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    const loaded: string[] = JSON.parse(child.stdout);
    expect(loaded).toContain(pathToFileURL(path.join(secrets, 'secret-source.ts')).href);
    const heavy = loaded.filter((url) =>
      /\/node_modules\/(age-encryption|re2-wasm|shamir-secret-sharing|execa)\/|\/core\/secrets\/(builtin|cli|cli-writes|age|keys|engine|editor)\.ts$/.test(url),
    );
    expect(heavy).toEqual([]);
  });
});
