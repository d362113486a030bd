// uninstall <chart|release>: helm uninstall, safely (confirmation, tier 0 refused, data kept).
import { refuseTier0, uninstall } from '../../core/commands/uninstall.ts';
import { terminalConfirm } from '../../core/exec/terminal.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { clusterCommand, oneOf } from '../cluster-shell.ts';

export default clusterCommand({
  usage: `
Usage: {cmd} <chart|release|cluster/release>... [options]   ({cmd} --tier apps, --wave <n>, --all)

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
  {cmd} --tier apps          (highest wave first, one confirmation listing them all)
`,
  options: {
    yes: { type: 'boolean' },
    force: { type: 'boolean' },
    'delete-data': { type: 'boolean' },
    wait: { type: 'string' },
    timeout: { type: 'string' },
  } as const,
  many: {
    action: 'uninstall',
    outputLines: 8,
    reverse: true,
    refuse: (releases, { values }) => refuseTier0(releases, { force: values.force }),
    // One confirmation for the whole set, listing it; each release then runs as if confirmed with --yes.
    async confirm(releases, request, { values }) {
      if (request.dryRun || values.yes) return;
      const names = releases.map((r) => `${r.cluster}/${r.name}`).join(', ');
      const confirm = terminalConfirm();
      if (!confirm) {
        throw new HomelabError(`refusing to uninstall ${names} without confirmation: no terminal to ask on`, 'pass --yes to confirm non-interactively');
      }
      const data = values['delete-data'] ? 'their PVCs and other data DELETED' : 'PVCs and other data kept';
      if (!(await confirm(`Uninstall ${releases.length} releases, highest wave first: ${names} (${data})?`))) {
        throw new HomelabError('uninstall not confirmed: nothing was changed', 'answer y to proceed, or pass --yes');
      }
      values.yes = true;
    },
  },
  async run(ws, request, { values }, write) {
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
