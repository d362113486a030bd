// graph: the repository as a picture (clusters → waves → releases → charts, library charts, value files).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildGraph, graphMermaid } from '../../core/commands/graph.ts';
import { graphHtml } from '../../core/commands/graph-html.ts';
import { errorLine, HomelabError } from '../../core/model/errors.ts';
import { clusterNamed } from '../../core/model/lookup.ts';
import { openWorkspace } from '../../core/resolve/workspace.ts';
import { oneOf } from '../cluster-shell.ts';
import { command, warn, write } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} [options]

Clusters → sync waves → releases → their chart (a chart directory, an upstream chart, a directory or
kustomization) → the library charts it builds on and the value files each release reads (SOPS files
marked), plus broken Applications. Offline: no cluster, no key, nothing rendered.

Options:
  --format <mermaid|html>  mermaid (default): a Mermaid flowchart (GitHub renders it in a \`\`\`mermaid block);
                           html: one self-contained page with an inline SVG (no script, no network)
  --out <file>             write there instead of standard output
  --cluster <name>         only this cluster directory
  -h, --help               this help

Examples:
  {cmd} --format html --out graph.html && xdg-open graph.html
  {cmd} --cluster home > graph.mmd
`,
  options: { format: { type: 'string' }, out: { type: 'string' }, cluster: { type: 'string' } } as const,
  async run({ root, values, positionals, cmd }) {
    if (positionals.length > 0) throw new HomelabError(`${cmd} takes no chart or release`, 'narrow it with --cluster');
    const format = oneOf('format', values.format, ['mermaid', 'html']) ?? 'mermaid';
    const ws = await openWorkspace(root);
    ws.warnings.forEach(warn);
    if (values.cluster !== undefined && !clusterNamed(ws.resolution.clusters, values.cluster)) {
      const known = ws.resolution.clusters.map((c) => c.name).join(', ');
      throw new HomelabError(`--cluster ${values.cluster}: no cluster directory of that name`, `known clusters: ${known || 'none'}`);
    }
    const graph = buildGraph(ws.resolution, values.cluster);
    const text = format === 'html' ? graphHtml(graph, `${path.basename(ws.root)}: clusters, waves, releases, charts`) : graphMermaid(graph);
    if (!values.out) return write(text);
    try {
      await writeFile(path.resolve(values.out), text);
    } catch (err) {
      throw new HomelabError(`--out ${values.out}: cannot write: ${errorLine(err)}`, 'choose a file in a directory you can write to');
    }
    process.stderr.write(`${cmd}: wrote ${values.out} (${graph.nodes.length} nodes, ${graph.edges.length} edges)\n`);
  },
});
