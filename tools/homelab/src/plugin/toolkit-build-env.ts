import { readFileSync } from 'node:fs';
import path from 'node:path';
import { toolkitFingerprint } from '../core/workspace/toolkit-fingerprint.ts';
import { moduleRoot } from '../package-paths.ts';

/**
 * The variable every target hashes (an `env` input) when the package is linked from outside the workspace
 * (npm i -D <path>): Nx cannot hash files outside the workspace and knows no installed package of that name, so the
 * build's id stands in for the tooling.
 */
export const TOOLKIT_BUILD_ENV = 'HOMELAB_TOOLKIT_BUILD';

/**
 * The build's id for the run, set by the plugin's pre-task hook once per command. Read afresh on every call: a daemon
 * keeps the plugin it loaded while the tasks it starts load the package as rebuilt on disk. From the sources (no
 * build), their fingerprint.
 */
export function toolkitBuildEnv(): Record<string, string> {
  try {
    return { [TOOLKIT_BUILD_ENV]: readFileSync(path.join(moduleRoot, 'build-id.json'), 'utf8') };
  } catch {
    return { [TOOLKIT_BUILD_ENV]: toolkitFingerprint() };
  }
}
