// Runtime input of every target when the package is linked from outside the workspace (npm i -D <path>): Nx cannot
// hash files outside the workspace and knows no installed package of that name, so the build's id stands in.
import { readFileSync } from 'node:fs';
import path from 'node:path';

process.stdout.write(readFileSync(path.join(import.meta.dirname, '..', '..', 'build-id.json'), 'utf8'));
