// `npm run bench -- <name> [args]`: runs bench/<name>.ts, whose default export takes the remaining arguments.
// With no name (or only options, e.g. `npm run bench -- --quick`) it runs the performance benchmark, bench/perf.ts.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT = 'perf';
const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const argv = process.argv.slice(2);
const [name, ...args] = argv.length === 0 || argv[0].startsWith('-') ? [DEFAULT, ...argv] : argv;

if (!available.includes(name)) {
  process.stderr.write(`usage: npm run bench [-- <${available.join('|')}>] [options]   (default: ${DEFAULT})\n`);
  process.exit(1);
}
const bench = (await import(`./${name}.ts`)) as { default: (args: string[]) => Promise<void> };
await bench.default(args);
