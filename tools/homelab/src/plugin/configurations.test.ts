import type { ProjectGraph } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { parseCommand, unknownConfiguration } from './configurations.ts';

const graph = {
  nodes: {
    arr: {
      name: 'arr',
      type: 'app',
      data: {
        root: 'charts/arr',
        targets: { template: { executor: '@homelab/nx:template', configurations: { ci: {}, 'home-arr': {} } }, render: { executor: '@homelab/nx:render' } },
      },
    },
    web: { name: 'web', type: 'app', data: { root: 'apps/web', targets: { build: { executor: 'nx:run-commands', configurations: { production: {} } } } } },
  },
  dependencies: {},
} as unknown as ProjectGraph;

const refusal = (...args: string[]) => {
  const command = parseCommand(args);
  return command && unknownConfiguration(command, graph);
};

describe('unknown configurations', () => {
  it('reads every way Nx takes a configuration', () => {
    expect(parseCommand(['run', 'arr:template:nope'])).toEqual({ kind: 'one', spec: 'arr:template:nope', configuration: undefined });
    expect(parseCommand(['arr:template', '-c', 'nope'])).toEqual({ kind: 'one', spec: 'arr:template', configuration: 'nope' });
    expect(parseCommand(['run', 'arr:template', '--configuration=nope'])).toEqual({ kind: 'one', spec: 'arr:template', configuration: 'nope' });
    expect(parseCommand(['run-many', '-t', 'lint,template', '-c=nope'])).toEqual({ kind: 'many', targets: ['lint', 'template'], configuration: 'nope' });
    // After `--` the arguments belong to the task, and a command without a configuration is left to Nx.
    expect(parseCommand(['run', 'arr:template', '--', '-c', 'nope'])).toEqual({ kind: 'one', spec: 'arr:template', configuration: undefined });
    expect(parseCommand(['run-many', '-t', 'template'])).toBeUndefined();
    expect(parseCommand(['template', 'arr', '-c', 'nope'])).toEqual({ kind: 'one', spec: 'arr:template', configuration: 'nope' });
    expect(parseCommand(['show', 'projects'])).toBeUndefined();
  });

  it('refuses a configuration our target does not have, listing those it has', () => {
    expect(refusal('run', 'arr:template:nope')).toBe(
      'arr:template has no configuration "nope" — use one of: arr:template:ci, arr:template:home-arr, or arr:template alone',
    );
    expect(refusal('run', 'arr:render', '-c', 'ci')).toBe('arr:render has no configuration "ci" and takes none — run arr:render');
    expect(refusal('template', 'arr', '-c', 'nope')).toBe(
      'arr:template has no configuration "nope" — use one of: arr:template:ci, arr:template:home-arr, or arr:template alone',
    );
    expect(refusal('run-many', '-t', 'template', '--configuration', 'nope')).toBe('no template target has a configuration "nope" — use one of: ci, home-arr');
  });

  it('lets through configurations that exist, and targets that are not ours', () => {
    expect(refusal('run', 'arr:template:home-arr')).toBeUndefined();
    expect(refusal('run', 'arr:template', '-c', 'ci')).toBeUndefined();
    expect(refusal('run-many', '-t', 'template', '-c', 'ci')).toBeUndefined();
    expect(refusal('run', 'web:build:nope')).toBeUndefined();
    expect(refusal('run-many', '-t', 'build', '-c', 'nope')).toBeUndefined();
    expect(refusal('show', 'project', 'arr', '-c', 'nope')).toBeUndefined();
    expect(refusal('run', 'nope:template:x')).toBeUndefined();
  });
});
