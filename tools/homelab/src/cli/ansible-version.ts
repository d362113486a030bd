// Runtime input of the provision check: which ansible-playbook and ansible-lint are installed decides what it
// checks (no ansible-lint, no lint), so a cached result never outlives a tool change.
import { execa } from 'execa';

for (const tool of ['ansible-playbook', 'ansible-lint']) {
  const result = await execa(tool, ['--version'], { reject: false, timeout: 60_000 });
  process.stdout.write(`${tool}: ${result.exitCode === 0 ? result.stdout.split('\n')[0].trim() : 'absent'}\n`);
}
