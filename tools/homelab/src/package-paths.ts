// Where this package's own files are, whether it runs from the sources (tools/homelab/src/…, .ts: tests, tsc's input)
// or from the build (…/dist/src/…, .js: Nx, the homelab bin and the hack launchers, inside or outside node_modules).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
/** The directory holding plugin.(ts|js) and src/: the package root, or its dist/. */
export const moduleRoot = path.resolve(path.dirname(here), '..');

/** The directory of the package's package.json. */
export const packageRoot = path.basename(moduleRoot) === 'dist' ? path.dirname(moduleRoot) : moduleRoot;

/** A script of src/cli as this very code runs: the emitted .js from the build, the .ts from the sources. */
export function cliScript(name: string): string {
  return path.join(moduleRoot, 'src', 'cli', `${name}${path.extname(here)}`);
}
