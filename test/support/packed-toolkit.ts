// The toolkit as users install it: `npm pack` of tools/homelab (the build the test setup made) installed with npm,
// once per test file, into a scratch consumer. Repositories a test builds link that installation's node_modules and
// copy its package.json and lockfile, so Nx sees the same npm graph as in a repository that ran `npm i -D <tarball>`
// (its externalDependencies resolve) without paying one npm install per repository.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { npmEnv, npmInstall } from '../package/gitops-repo.ts';
import { repoRoot } from './workspace.ts';

export interface InstalledToolkit {
  /** The consumer whose node_modules, package.json and package-lock.json repositories reuse. */
  dir: string;
  dispose(): void;
}

let installing: Promise<InstalledToolkit> | undefined;

/** Packs and installs the toolkit once per test file. */
export function installedToolkit(): Promise<InstalledToolkit> {
  installing ??= (async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'homelab-packed-'));
    const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], {
      cwd: path.join(repoRoot, 'tools/homelab'),
      env: npmEnv(),
      extendEnv: false,
    });
    const [{ filename }] = JSON.parse(pack.stdout) as { filename: string }[];
    const dir = path.join(scratch, 'consumer');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'gitops', private: true, type: 'module' }, null, 2)}\n`);
    await npmInstall(dir, path.join(scratch, filename));
    return { dir, dispose: () => rmSync(scratch, { recursive: true, force: true }) };
  })();
  return installing;
}

/** Gives `root` the installation: package.json, package-lock.json, and node_modules entries linked. */
export function linkInstalled(root: string, toolkit: InstalledToolkit): void {
  for (const file of ['package.json', 'package-lock.json']) writeFileSync(path.join(root, file), readFileSync(path.join(toolkit.dir, file)));
  mkdirSync(path.join(root, 'node_modules'));
  const modules = path.join(toolkit.dir, 'node_modules');
  for (const entry of readdirSync(modules)) symlinkSync(path.join(modules, entry), path.join(root, 'node_modules', entry));
}
