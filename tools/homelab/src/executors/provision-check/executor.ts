import type { ExecutorContext } from '@nx/devkit';
import { HomelabError } from '../../core/model/errors.ts';
import { findingLine, provisionCheck } from '../../core/commands/provision.ts';
import { runShell, write } from '../run.ts';

export default async function provisionCheckExecutor(_options: Record<string, never>, context: ExecutorContext) {
  const provisionDir = context.projectsConfigurations?.projects[context.projectName!]?.root ?? 'provision';
  return runShell(async () => {
    const result = await provisionCheck({ root: context.root, provisionDir });
    write(`syntax-checked ${result.playbooks.join(', ')}\n`);
    write(result.lint.ran ? 'ansible-lint ran\n' : `${result.lint.reason}\n`);
    for (const finding of result.findings) write(`${findingLine(finding)}\n`);
    const n = result.findings.length;
    if (n > 0) throw new HomelabError(`the provision check found ${n} problem${n === 1 ? '' : 's'} in ${provisionDir}/`, 'fix each line above');
    write(`${provisionDir}: playbooks are valid\n`);
  });
}
