// promote: the target environment takes the source environment's version pins, as a commit on a new branch; the
// target's render diff (masked markdown) is printed as the pull request description.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promote } from '../../core/commands/promote.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { command, write } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} <app...|--all> --from <env> --to <env> [options]

Sets the version pins of <app> in environment --to to those of --from (docs/environments.md: the
clusters/<env>/versions/<app>.yaml registry file, an upstream chart's targetRevision, Kustomize images),
commits them on a new branch promote/<from>-to-<to>-<app> (the current branch, index and working tree are
left as they are) and prints the render diff of --to as markdown: the pull request description.
Renders are keyless and masked: the output is safe to publish.

Options:
  --from <env>      the environment whose versions are promoted (clusters/<env>/)
  --to <env>        the environment that takes them
  --all             every app both environments deploy
  --dry-run         print the render diff only: no branch, no commit
  --output <file>   also write the description to <file> (e.g. for gh pr create --body-file)
  --summary <file>  append it to <file> (e.g. "$GITHUB_STEP_SUMMARY")
  -h, --help        this help

Example:
  {cmd} monitoring --from lab --to home --dry-run
`,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    all: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    output: { type: 'string' },
    summary: { type: 'string' },
  } as const,
  async run({ values, positionals, root, cmd }) {
    if (!values.from || !values.to) throw new HomelabError('--from and --to are required', `e.g. ${cmd} monitoring --from lab --to home`);
    if (values.all === positionals.length > 0) throw new HomelabError('name the apps to promote, or pass --all (not both)', `see ${cmd} --help`);
    const result = await promote(root, { apps: values.all ? 'all' : positionals, from: values.from, to: values.to, dryRun: values['dry-run'] }, write);
    if (values.output) {
      await mkdir(path.dirname(path.resolve(values.output)), { recursive: true });
      await writeFile(values.output, result.markdown);
    }
    if (values.summary) await appendFile(values.summary, result.markdown);
    if (result.branch) process.stderr.write(`branch ${result.branch} (${result.commit?.slice(0, 12)}): ${result.edits.length} file(s) changed\n`);
  },
});
