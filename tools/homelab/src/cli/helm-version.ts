// Runtime input of every render target: the resolved helm version takes part in Nx's cache key.
import { resolveHelm } from '../core/helm.ts';

const helm = await resolveHelm();
process.stdout.write(`${helm.version}\n`);
