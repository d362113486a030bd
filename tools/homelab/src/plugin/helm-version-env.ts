import { resolveHelm } from '../core/helm/helm.ts';
import { OFFLINE_ENV } from '../core/helm/network.ts';
import { errorLine } from '../core/model/errors.ts';

/** The variable every target running helm hashes (an `env` input): the version of the helm its tasks resolve. */
export const HELM_VERSION_ENV = 'HOMELAB_HELM_VERSION';

/**
 * The helm version for the run, set by the plugin's pre-task hook, which Nx runs once per command before it hashes any
 * task (with the daemon too: it runs there with the command's environment and Nx copies what it sets back). A runtime
 * input instead cost a shell and a `stat` per task, forked from the Nx process. Resolved afresh on every call, never
 * memoised: a long-lived daemon must see another HELM_BIN or PATH, and an upgraded helm (the version cache is keyed by
 * the binary file). A helm that cannot be resolved is hashed as its error line; the task that runs it fails with it.
 */
export async function helmVersionEnv(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  try {
    // Offline: the hook runs for every command that runs tasks, most of which need no helm, so it never downloads
    // one. A helm only a download would provide is hashed as that line; the task needing it fetches it when it runs.
    return { [HELM_VERSION_ENV]: (await resolveHelm({ ...env, [OFFLINE_ENV]: '1' })).version };
  } catch (err) {
    return { [HELM_VERSION_ENV]: `✖ ${errorLine(err)}` };
  }
}
