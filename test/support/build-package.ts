// Global setup of the test run. Tests unit-test the TypeScript sources, but the Nx runs and hack launchers they start
// run the package's build (tools/homelab/dist), as users do: rebuild it first when a source is newer than the last
// build. A type error does not stop the tests (npm run typecheck reports it); the emitted JavaScript is what the
// sources say either way.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const pkg = path.join(repoRoot, 'tools/homelab');
const INPUTS = ['plugin.ts', 'build-manifests.ts', 'bundle-bin.ts', 'tsconfig.build.json', 'executors.json', 'generators.json', 'package.json'];

function newestInput(): number {
  const files = [...INPUTS, ...(readdirSync(path.join(pkg, 'src'), { recursive: true }) as string[]).map((f) => path.join('src', f))];
  return Math.max(...files.filter((f) => !f.endsWith('.test.ts')).map((f) => statSync(path.join(pkg, f)).mtimeMs));
}

export default function setup(): void {
  const stamp = path.join(pkg, 'dist', 'build-id.json');
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestInput()) return;
  try {
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: pkg, stdio: 'pipe' });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? '');
    process.stderr.write(
      `test setup: tsc reported type errors while building tools/homelab/dist (run npm run typecheck):\n${out.split('\n').slice(0, 5).join('\n')}\n`,
    );
  }
  execFileSync(process.execPath, ['build-manifests.ts'], { cwd: pkg, stdio: 'inherit' });
}
