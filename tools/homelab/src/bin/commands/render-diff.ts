// render-diff: what a change does to the rendered manifests of the affected releases, as markdown (base rendered in
// a temporary worktree, head from the checkout, both keyless and masked; no cluster).
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { computeAffected } from '../../core/ci/affected.ts';
import { renderDiff, renderDiffMarkdown } from '../../core/ci/render-diff.ts';
import { secretsDecrypter } from '../../core/ci/secret-changes.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { command, warn } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} [options]

Renders the releases affected between --base and --head on both sides and prints a markdown report:
changed, added and removed resources per release (kind/namespace/name) with unified diffs.
Renders are keyless (placeholder secrets) and Secret data is masked: the report is safe to publish.

Options:
  --base <rev>          base commit or branch (default: $NX_BASE, else origin/<defaultBase>, else HEAD~1)
  --head <rev>          head commit, must be the checked-out one (default: $NX_HEAD, else HEAD)
  --output <file>       also write the full report (no size limit) to <file>
  --summary <file>      append the report, cut to fit, to <file> (e.g. "$GITHUB_STEP_SUMMARY")
  --max-diff-lines <n>  diff lines printed before cutting (default 4000)
  -h, --help            this help

Example:
  {cmd} --base origin/main --output dist/render-diff.md
`,
  options: {
    base: { type: 'string' },
    head: { type: 'string' },
    output: { type: 'string' },
    summary: { type: 'string' },
    'max-diff-lines': { type: 'string' },
  } as const,
  async run({ values, positionals, root, cmd }) {
    if (positionals.length > 0) throw new HomelabError(`unexpected argument ${positionals[0]}`, `see ${cmd} --help`);
    const maxDiffLines = values['max-diff-lines'] === undefined ? 4000 : Number(values['max-diff-lines']);
    if (!Number.isInteger(maxDiffLines) || maxDiffLines < 0) throw new HomelabError('--max-diff-lines takes a whole number', 'e.g. --max-diff-lines 2000');
    const affected = await computeAffected(root, {
      base: values.base ?? process.env.NX_BASE,
      head: values.head ?? process.env.NX_HEAD,
      decrypt: await secretsDecrypter(root),
    });
    affected.warnings.forEach(warn);
    const report = await renderDiff(root, affected);
    const cut = renderDiffMarkdown(report, { maxDiffLines });
    if (values.output) {
      await mkdir(path.dirname(path.resolve(values.output)), { recursive: true });
      await writeFile(values.output, renderDiffMarkdown(report, { maxDiffLines: Infinity }));
    }
    if (values.summary) await appendFile(values.summary, cut);
    process.stdout.write(cut);
  },
});
