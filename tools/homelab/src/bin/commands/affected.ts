// affected: the chart tasks a change between two commits can alter (Nx's file-level answer, refined for SOPS files
// and deleted charts; see docs/ci.md). CI runs exactly this, then `nx run-many` on the result.
import { appendFile } from 'node:fs/promises';
import { computeAffected } from '../../core/ci/affected.ts';
import { refineByRendering, type ExactAffected } from '../../core/ci/exact.ts';
import { secretsDecrypter } from '../../core/ci/secret-changes.ts';
import { formatData, OUTPUT_FORMATS } from '../../core/commands/data-output.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { oneOf } from '../cluster-shell.ts';
import { command, warn } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} [options]

Prints the Nx projects whose tasks a change can alter, and why. The range is --base..--head; a push to main
(base contains head) compares with the previous commit; a shallow clone is deepened (git fetch --deepen).

Options:
  --base <rev>        base commit or branch (default: $NX_BASE, else origin/<nx.json defaultBase>, else HEAD~1)
  --head <rev>        head commit, must be the checked-out one (default: $NX_HEAD, else the working tree:
                      uncommitted edits and untracked files count as changed)
  -t, --target <t>    Nx targets whose tasks are selected, comma-separated (default: render)
  --exact             then render every candidate release at base and head (keyless) and keep only the projects
                      whose output changed, was added or removed, or failed to render on one side; with a key,
                      readers of a changed secrets file are compared with the real values too (in memory only)
  --keyless           never decrypt: compare secrets files by ciphertext (what CI without a key does anyway)
  --no-deepen         fail on a shallow clone instead of fetching more history
  --env <file>        append NX_BASE, NX_HEAD and HOMELAB_AFFECTED=<p1,p2> to <file> (e.g. "$GITHUB_ENV")
  --json              print the whole result as JSON (the same as -o json)
  -o, --output <json|yaml>  print the whole result as JSON or YAML
  -h, --help          this help

Examples:
  {cmd} --base origin/main
  {cmd} --base "$BASE_SHA" --head "$HEAD_SHA" -t lint,render,validate --exact --env "$GITHUB_ENV"
  npx nx run-many -t lint render --projects="$({cmd} --base origin/main --json | jq -r '.projects|join(",")')"
`,
  options: {
    base: { type: 'string' },
    head: { type: 'string' },
    target: { type: 'string', short: 't' },
    exact: { type: 'boolean' },
    keyless: { type: 'boolean' },
    'no-deepen': { type: 'boolean' },
    env: { type: 'string' },
    json: { type: 'boolean' },
    output: { type: 'string', short: 'o' },
  } as const,
  async run({ values, positionals, root, cmd }) {
    if (positionals.length > 0) throw new HomelabError(`unexpected argument ${positionals[0]}`, `see ${cmd} --help`);
    const format = values.json ? 'json' : oneOf('output', values.output, OUTPUT_FORMATS);
    const targets = (values.target ?? 'render')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const result = await computeAffected(root, {
      base: values.base ?? process.env.NX_BASE,
      head: values.head ?? process.env.NX_HEAD,
      workingTree: (values.head ?? process.env.NX_HEAD) === undefined,
      deepen: !values['no-deepen'],
      targets,
      decrypt: values.keyless ? undefined : await secretsDecrypter(root),
    });
    const exact: ExactAffected | undefined = values.exact ? await refineByRendering(root, result) : undefined;
    result.warnings.forEach(warn);
    if (values.env) {
      await appendFile(values.env, `NX_BASE=${result.range.base}\nNX_HEAD=${result.range.head}\nHOMELAB_AFFECTED=${result.projects.join(',')}\n`);
    }
    if (format) {
      const details = exact && {
        releases: exact.releases,
        unchanged: exact.unchanged,
        dropped: exact.dropped,
        unrendered: exact.unrendered,
        work: exact.report.work,
      };
      process.stdout.write(formatData(format, details ? { ...result, exact: details } : result));
      return;
    }
    const head = `${result.range.head.slice(0, 12)}${result.workingTree ? ' + working tree' : ''}`;
    const out = [`${result.range.base.slice(0, 12)}..${head}: ${result.files.length} changed file(s), targets ${targets.join(', ')}`];
    for (const s of result.secretChanges) out.push(`secrets: ${s.change.why}`);
    if (result.projects.length === 0) out.push('nothing affected');
    for (const project of result.projects) out.push(`affected ${project}: ${result.reasons[project].join('; ')}`);
    for (const s of result.skipped) out.push(`skipped  ${s.project}: ${s.why}`);
    for (const r of exact?.unchanged ?? []) out.push(`same     ${r.cluster}/${r.name} (chart ${r.chart}): renders the same at base and head`);
    for (const chart of result.removedCharts) out.push(`removed  ${chart}: the chart was deleted; its releases are gone`);
    if (exact) {
      const { rendered, cached, identical } = exact.report.work;
      out.push(`renders: ${rendered.base} at base and ${rendered.head} at head, ${cached} from the render cache, ${identical} skipped (inputs byte-identical)`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
  },
});
