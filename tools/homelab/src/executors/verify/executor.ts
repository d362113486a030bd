import type { ExecutorContext } from '@nx/devkit';
import { verifyReleases } from '../../core/commands/verify.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { runExecutor, write } from '../run.ts';

export interface VerifyExecutorOptions {
  cluster?: string;
}

export default async function verifyExecutor(options: VerifyExecutorOptions, context: ExecutorContext) {
  return runExecutor(context, async (ws) => {
    const { counts } = await verifyReleases(ws, { cluster: options.cluster }, write);
    if (counts.differs + counts.failed > 0) {
      throw new HomelabError(`${counts.differs + counts.failed} release(s) do not render as ArgoCD's helm command`, 'the lines above show where each differs');
    }
  });
}
