// A target's own inputs as Nx's task hasher reads them from `nx show project --json`.

type Shown = { namedInputs?: Record<string, unknown[]>; targets: Record<string, { inputs?: unknown[] }> };

/**
 * The inputs of a project's target with every named input of the project replaced by what it names (recursively, as
 * Nx expands them); `^` inputs, which read the project's dependencies, are left out. A string naming no named input
 * is a file pattern, as in Nx.
 */
export function expandedInputs(project: Shown, target: string): unknown[] {
  const named = project.namedInputs ?? {};
  const expand = (inputs: unknown[]): unknown[] =>
    inputs.flatMap((input) => {
      if (typeof input === 'string') {
        if (input.startsWith('^')) return [];
        return named[input] ? expand(named[input]) : [input];
      }
      if (typeof input === 'object' && input !== null && 'input' in input) {
        if ('dependencies' in input || 'projects' in input) return [];
        const name = String(input.input);
        if (!named[name]) throw new Error(`target ${target} reads the undefined named input ${name}`);
        return expand(named[name]);
      }
      return [input];
    });
  return expand(project.targets[target].inputs ?? []);
}
