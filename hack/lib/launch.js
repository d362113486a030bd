// Plain JavaScript: every hack/<name> is a launcher of the homelab bin's command <name> (package @homelab/nx, this
// repository's npm workspace, built by npm ci) on this repository, whatever the current directory. It imports no Nx:
// the scripts keep working when nx.json or the plugin is broken.
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function launch(name) {
  // V8 keeps the code it compiled for the bundle between runs: less start-up per command. In the user's cache, not the
  // shared temp directory, which the toolkit's processes leave untouched. Optional call: a Node too old to have it must
  // still reach the version check and its one-line refusal.
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || path.join(cacheHome, 'homelab', 'node-compile-cache'));
  let runNamed;
  try {
    ({ runNamed } = await import('@homelab/nx/bin'));
  } catch (err) {
    if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write('✖ @homelab/nx is not built (tools/homelab/dist is missing) — run npm ci, or npm run build -w @homelab/nx\n');
    process.exit(1);
  }
  await runNamed(name, process.argv.slice(2), { root, prefix: 'hack/' });
}
