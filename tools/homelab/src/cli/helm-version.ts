// Runtime input of every render target: the resolved helm version takes part in Nx's cache key.
import { errorLine } from '../core/model/errors.ts';
import { resolveHelm } from '../core/helm/helm.ts';

try {
  const helm = await resolveHelm();
  process.stdout.write(`${helm.version}\n`);
} catch (err) {
  // Nx quotes whatever a failed runtime input prints: one line, no stack (a helm that hangs, a HELM_BIN that is not helm).
  process.stderr.write(`✖ ${errorLine(err)}\n`);
  process.exitCode = 1;
}
