/**
 * The one declaration of the helm release this toolkit renders with: the bundled linux-amd64 helm is this version,
 * CI pins it (.github/ and .gitea/ workflows run cli/pinned-helm.ts), and where no package ships it the official
 * archive is downloaded and checked against these digests. The digests are the sha256 of the official release
 * archives, as published in the release notes and the `.sha256sum` files beside each archive.
 */
export const PINNED_HELM = {
  version: 'v4.1.4',
  archives: {
    'linux-amd64': '70b2c30a19da4db264dfd68c8a3664e05093a361cefd89572ffb36f8abfa3d09',
    'linux-arm64': '13d03672be289045d2ff00e4e345d61de1c6f21c1257a45955a30e8ae036d8f1',
    'darwin-amd64': 'abf09c8503ad1d8ef76d3737a058c3456a998aae5f5966fce4bb3031aeb1654e',
    'darwin-arm64': '7c2eca678e8001fa863cdf8cbf6ac1b3799f9404a89eb55c08260ef5732e658d',
  } as Record<string, string>,
};

export type PinnedHelm = typeof PINNED_HELM;

/** The machine helm runs on; a parameter wherever it matters, so tests name another one instead of faking Node's. */
export interface Host {
  platform: NodeJS.Platform;
  arch: string;
}

export const thisHost = (): Host => ({ platform: process.platform, arch: process.arch });

/** Helm's name for a platform (`linux-arm64`, `darwin-amd64`): Go's GOOS-GOARCH, as its archives are named. */
export function helmPlatform(host: Host): string {
  const arch = ({ x64: 'amd64', ia32: '386' } as Record<string, string>)[host.arch] ?? host.arch;
  return `${host.platform === 'win32' ? 'windows' : host.platform}-${arch}`;
}

/** The way out when nothing provides helm, naming the version to install. */
export const installHelmHint = (pin: PinnedHelm = PINNED_HELM) =>
  `install helm ${pin.version} (https://helm.sh/docs/intro/install/) and put it on PATH, or set HELM_BIN to it`;
