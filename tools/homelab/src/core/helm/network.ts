import { errorLine } from '../model/errors.ts';

/** `HOMELAB_OFFLINE=1`: nothing is downloaded (charts, helm); a miss says what to fetch where the network is. */
export const OFFLINE_ENV = 'HOMELAB_OFFLINE';

export const isOffline = (env: NodeJS.ProcessEnv): boolean => env[OFFLINE_ENV] === '1' || env[OFFLINE_ENV] === 'true';

/** Why a fetch failed in one line: fetch hides the reason (refused, unknown host, timeout) in `cause`. */
export function fetchFailure(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return errorLine(cause);
}
