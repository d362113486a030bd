// Every option of every command, declared once: its type and description (the executors' schema.json must agree,
// test/options.test.ts checks it) and its default, held here only (schema.json and the hack scripts carry none).
import { DEFAULT_TIMEOUT, type WaitStrategy } from '../cluster/helm-release.ts';

/** One option as JSON Schema describes it; `default` is what the core assumes when the option is not given. */
export interface OptionSpec {
  type?: 'string' | 'boolean' | 'array';
  description: string;
  enum?: readonly string[];
  items?: { type: string };
  oneOf?: readonly { type: string; items?: { type: string } }[];
  $default?: { $source: string };
  default?: string | boolean;
}

// Options several commands share, word for word.
const cluster = {
  type: 'string',
  description: 'Only releases of this cluster directory (e.g. home).',
} as const satisfies OptionSpec;

const context = {
  type: 'string',
  description:
    'Use this kube-context instead of the kubeContext declared in clusters/<cluster>/cluster.yaml (printed loudly; the declared server is still checked).',
} as const satisfies OptionSpec;

const kubeconfig = {
  type: 'string',
  description: 'Kubeconfig file(s) to read instead of $KUBECONFIG / ~/.kube/config.',
} as const satisfies OptionSpec;

const release = {
  type: 'string',
  description: 'Only this release (`<cluster>/<release>` or a release name); set by the per-release configurations.',
} as const satisfies OptionSpec;

const wait = {
  type: 'string',
  enum: ['watcher', 'legacy'],
  description: 'How helm waits for readiness: Helm 4 --wait=watcher (kstatus) or --wait=legacy; Helm 3 always --wait.',
  default: 'watcher' satisfies WaitStrategy,
} as const satisfies OptionSpec;

const timeout = {
  type: 'string',
  description: 'Go duration helm waits before failing (and rolling back), e.g. 90s, 10m.',
  default: DEFAULT_TIMEOUT,
} as const satisfies OptionSpec;

/** The options of every command acting on a cluster's releases (diff, install, preview, uninstall). */
const clusterCommand = {
  release,
  cluster,
  context,
  kubeconfig,
  dryRun: {
    type: 'boolean',
    description: 'Print the exact helm/kubectl invocations (pipes shown by what they carry, never their content); run nothing, contact no cluster.',
    default: false,
  },
} as const satisfies Record<string, OptionSpec>;

export const commandOptions = {
  bootstrap: {
    cluster,
    context,
    kubeconfig,
    dryRun: {
      type: 'boolean',
      description: 'Print every step with its exact invocations and the rendered manifests (masked); touch nothing.',
      default: false,
    },
    wait,
    timeout,
    argocdChartRepo: {
      type: 'string',
      description:
        "Fetch the argo-cd chart from this Helm repository (or oci:// registry) instead of the Application's repoURL (a mirror). Also HOMELAB_ARGOCD_CHART_REPO.",
    },
    recover: {
      type: 'boolean',
      description: 'Roll back releases stuck in pending-* to their last deployed revision first.',
      default: false,
    },
    withLowerWaves: {
      type: 'boolean',
      description:
        'Bootstrap also when only a higher-wave install pulled this task in (`nx run <chart>:install --withLowerWaves`); without it such a run prints one line and bootstraps nothing. A bootstrap the user asks for (nx run <bootstrap chart>:install or :bootstrap, nx run-many -t install) always runs.',
      default: false,
    },
    release: {
      type: 'string',
      description: "Not for the bootstrap (refused): accepted because Nx forwards an install's command line to it; a lower wave ignores it.",
    },
    helmDryRun: {
      type: 'string',
      enum: ['client', 'server'],
      description:
        "Not for the bootstrap (refused, it would install ArgoCD for real): accepted because Nx forwards an install's command line to it. Preview with --dryRun.",
    },
  },
  check: {},
  deps: {},
  diff: {
    ...clusterCommand,
  },
  install: {
    ...clusterCommand,
    wait,
    timeout,
    helmDryRun: {
      type: 'string',
      enum: ['client', 'server'],
      description: 'Run helm itself with --dry-run=client|server (server: validated by the API server, nothing persisted).',
    },
    recover: {
      type: 'boolean',
      description: 'A release stuck in pending-install/-upgrade/-rollback is rolled back to its last deployed revision first.',
      default: false,
    },
    pauseSync: {
      type: 'boolean',
      description:
        "Turn the Application's automated sync and self-heal off before installing (and those of the app-of-apps syncing it), remembering the syncPolicy in the annotation homelab.dev/paused-sync-policy; `homelab argocd resume <release>` restores it.",
      default: false,
    },
    withLowerWaves: {
      type: 'boolean',
      description:
        'Also install the lower waves this install depends on (they run first, wave by wave). Without it `nx run <chart>:install` installs that chart only and each lower wave prints one line saying it was skipped; `nx run-many -t install` installs every chart it names either way.',
      default: false,
    },
    forChart: {
      type: 'string',
      description: 'Set by the plugin, not by hand: the chart whose install this task runs for (its own name; Nx forwards it to the lower waves it pulls in).',
    },
  },
  lint: {
    release,
    cluster,
  },
  preview: {
    ...clusterCommand,
    pr: {
      description: 'The pull request number: each release is copied as <release>-pr-<n> into the namespace of that name.',
      oneOf: [{ type: 'string' }, { type: 'number' }],
    },
    teardown: {
      type: 'boolean',
      description: 'Uninstall the previews of this pull request and delete their namespaces instead of installing them.',
      default: false,
    },
    wait,
    timeout,
    summary: {
      type: 'string',
      description: 'Append the result as a markdown table to this file (a pull request comment, $GITHUB_STEP_SUMMARY).',
    },
  },
  'provision-apply': {
    inventory: {
      type: 'string',
      description: 'Inventory file, workspace-relative (default <provision>/inventory.yaml).',
    },
    check: {
      type: 'boolean',
      description: 'Dry run: ansible-playbook --check --diff (changes nothing, needs no confirmation).',
      default: false,
    },
    limit: {
      type: 'string',
      description: 'Only these hosts (ansible-playbook --limit), e.g. node2.home.arpa.',
    },
    tags: {
      description: 'Only these parts (ansible-playbook --tags): os, k3s, kubeconfig. Comma-separated or a list.',
      oneOf: [
        {
          type: 'string',
        },
        {
          type: 'array',
          items: {
            type: 'string',
          },
        },
      ],
    },
    yes: {
      type: 'boolean',
      description: 'Do not ask for confirmation (required without a terminal).',
      default: false,
    },
  },
  'provision-check': {},
  render: {
    outputDir: {
      type: 'string',
      description: "Workspace-relative directory of the rendered files. Keep it in step with the target's outputs.",
      default: 'dist/rendered',
    },
  },
  secrets: {
    args: {
      type: 'array',
      items: {
        type: 'string',
      },
      description: 'The subcommand and its arguments, as given after --.',
      $default: {
        $source: 'unparsed',
      },
    },
  },
  status: {
    release,
    cluster,
    context,
    kubeconfig,
  },
  template: {
    release,
    cluster,
    outputDir: {
      type: 'string',
      description:
        "Write one masked file per release to <outputDir>/<cluster>/<release>.yaml instead of printing. Inside the workspace: the files are the task's cached outputs, restored on a cache hit.",
    },
    keyless: {
      type: 'boolean',
      description: 'Render with structure-preserving placeholders instead of decrypted secrets (no age key needed).',
      default: false,
    },
    unmasked: {
      type: 'boolean',
      description:
        'With keyless only: leave Secret data unmasked (it holds placeholders, never a secret), so the render compares byte for byte with helm template; refused without keyless.',
      default: false,
    },
  },
  uninstall: {
    ...clusterCommand,
    wait,
    timeout,
    yes: {
      type: 'boolean',
      description: 'Confirmed: do not ask (required without a terminal).',
      default: false,
    },
    force: {
      type: 'boolean',
      description: 'Allow uninstalling tier 0 (the bootstrap chart, sync waves <= 0).',
      default: false,
    },
    deleteData: {
      type: 'boolean',
      description: 'Also delete PersistentVolumeClaims, PersistentVolumes, Namespaces and CRDs of the release (their data is lost).',
      default: false,
    },
  },
  validate: {
    release,
    cluster,
  },
  verify: {
    cluster,
  },
} as const satisfies Record<string, Record<string, OptionSpec>>;
