/** Offline validation of rendered Kubernetes manifests (the core of the `validate` target). */
export { validateManifests, type Finding, type ValidateOptions } from './validate.ts';
export { apiVersionStatus, parseKubeVersion, type ApiVersionStatus } from './deprecations.ts';
