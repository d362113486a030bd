// charts pull: every upstream chart the repository uses into the chart cache (offline renders afterwards).
import { chartsPull } from '../../core/commands/charts.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { openWorkspace } from '../../core/resolve/workspace.ts';
import { command, warn, write } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} pull

Fetches every upstream chart the repository uses into the chart cache ($XDG_CACHE_HOME/homelab/charts, else
~/.cache/homelab/charts): the charts of Applications from Helm repositories and OCI registries, and the remote
dependencies of the repository's charts (their Chart.lock versions). Renders find them there without the network;
ranges are resolved again. Credentials come from your helm config (helm repo add, helm registry login) only.

Options:
  -h, --help   this help

Example:
  {cmd} pull && HOMELAB_OFFLINE=1 {prefix}template argocd
`,
  options: {},
  async run({ positionals, root, cmd }) {
    if (positionals.length !== 1 || positionals[0] !== 'pull') throw new HomelabError(`${cmd} takes one subcommand: pull`, `e.g. ${cmd} pull`);
    const ws = await openWorkspace(root);
    ws.warnings.forEach(warn);
    await chartsPull(ws, write);
  },
});
