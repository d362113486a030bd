// uninstall <chart|release>: helm uninstall, safely (confirmation, tier 0 refused, data kept).
import { uninstall } from '../../core/commands/uninstall.ts';
import { terminalConfirm } from '../../core/exec/terminal.ts';
import { clusterCommand, oneOf } from '../cluster-shell.ts';
import { write } from '../shell.ts';

export default clusterCommand({
  usage: `
Usage: {cmd} <chart|release|cluster/release> [options]

helm uninstall of the release on its declared kube-context. Asks for confirmation on a terminal, refuses
tier 0 (the system chart, sync waves <= 0) without --force, and keeps PersistentVolumeClaims and other
state holders unless --delete-data. An ArgoCD-managed app has no Helm release; ArgoCD recreates what
git declares unless the Application is removed from git first.

Options:
{options}
  --yes                    do not ask (required when there is no terminal)
  --force                  allow tier 0
  --delete-data            delete PVCs and other state with the release
  --wait <watcher|legacy>  wait for the deletion (Helm 4)
  --timeout <duration>     e.g. 90s, 10m

Example:
  {cmd} jellyfin --dry-run && {cmd} jellyfin
`,
  options: {
    yes: { type: 'boolean' },
    force: { type: 'boolean' },
    'delete-data': { type: 'boolean' },
    wait: { type: 'string' },
    timeout: { type: 'string' },
  } as const,
  async run(ws, request, { values }) {
    await uninstall(
      ws,
      {
        ...request,
        yes: values.yes,
        force: values.force,
        deleteData: values['delete-data'],
        wait: oneOf('wait', values.wait, ['watcher', 'legacy']),
        timeout: values.timeout,
        confirm: terminalConfirm(),
      },
      write,
    );
  },
});
