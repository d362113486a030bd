// Runtime input of an upstream release's targets: the exact version and digest its targetRevision resolved to in the
// chart cache ("not cached" before the first fetch), so a cached task is replayed only for the same chart archive.
// Reads one small record: no resolution, no network.
import { lookupChart } from '../core/helm/chart-cache.ts';

const [repoURL = '', chart = '', revision = ''] = process.argv.slice(2);
const cached = lookupChart({ repoURL, chart, revision });
process.stdout.write(cached ? `${chart} ${cached.version} ${cached.digest}\n` : `${chart} ${revision} not cached\n`);
