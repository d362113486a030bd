// One declaration per option: the core's commandOptions holds every option with its default; the executors'
// schema.json repeat type and description (Nx reads them) and must agree, carry no default of their own, and every
// flag of a hack script must be an option of the same core command.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandOptions, type OptionSpec } from '../tools/homelab/src/core/commands/options.ts';

const root = path.resolve(import.meta.dirname, '..');
const executorsDir = path.join(root, 'tools/homelab/src/executors');
const specs = commandOptions as Record<string, Record<string, OptionSpec>>;

const schemas = readdirSync(executorsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => ({
    command: e.name,
    schema: JSON.parse(readFileSync(path.join(executorsDir, e.name, 'schema.json'), 'utf8')) as { properties?: Record<string, Record<string, unknown>> },
  }));

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The keys of a hack script's `options: { … }` literal (the parseArgs config), with their parseArgs type. */
function hackFlags(source: string): Record<string, string> {
  const block = /options: \{([^}]*(?:\}[^}]*)*?)\} as const/.exec(source) ?? /const clusterOptions = \{([\s\S]*?)\} as const/.exec(source);
  const flags: Record<string, string> = {};
  for (const m of (block?.[1] ?? '').matchAll(/'?([a-z][a-z-]*)'?: \{ type: '(\w+)'/g)) flags[m[1]] = m[2];
  return flags;
}

describe('one declaration per option', () => {
  it('every executor has its command in the core', () => {
    expect(schemas.map((s) => s.command).sort()).toEqual(Object.keys(specs).sort());
  });

  it.each(schemas)('$command: schema.json agrees with the core (same options, type, description; no default)', ({ command, schema }) => {
    const properties = schema.properties ?? {};
    expect(Object.keys(properties).sort()).toEqual(Object.keys(specs[command]).sort());
    for (const [name, property] of Object.entries(properties)) {
      const declared: Partial<OptionSpec> = { ...specs[command][name] };
      delete declared.default;
      expect(property, `${command}.${name}`).toEqual(declared);
      // Nx applies a schema default before the core sees the option: a second default could silently differ.
      expect(property.default, `${command}.${name} default`).toBeUndefined();
    }
  });

  const commandsDir = path.join(root, 'tools/homelab/src/bin/commands');
  const hackScripts = readdirSync(commandsDir)
    .map((f) => f.replace(/\.ts$/, ''))
    .filter((name) => name in specs && name !== 'secrets');
  const { 'dry-run': dryRun, ...sharedReadOnly } = hackFlags(readFileSync(path.join(root, 'tools/homelab/src/bin/cluster-shell.ts'), 'utf8'));
  // Flags only a terminal can use: --reveal prints decrypted secrets and the Nx target never does. -n and
  // --show-only are helm/kubectl habits at a shell: Nx selects a release by its per-release configuration, and a
  // partial render is no cacheable output. -o json|yaml is data for a shell pipeline, not a task's log. (--set/-f and
  // the selection flags --all/--wave/--tier/--fail-fast are spread from bin/overlay.ts and bin/selection.ts: Nx
  // renders what ArgoCD renders, and selects many projects with run-many.)
  const hackOnly: Record<string, string[]> = {
    template: ['reveal', 'namespace', 'show-only'],
    diff: ['namespace'],
    install: ['namespace'],
    status: ['output'],
    verify: ['output'],
  };
  // kubectl's spelling of a core option, the same option under a second name.
  const aliases: Record<string, string> = { 'kube-context': 'context' };

  it.each(hackScripts)('hack/%s: every flag is an option of the core command, of the same type', (name) => {
    const source = readFileSync(path.join(commandsDir, `${name}.ts`), 'utf8');
    // A read-only cluster command refuses --dry-run (clusterCommand's readOnly).
    const shared = source.includes('readOnly: true') ? sharedReadOnly : { ...sharedReadOnly, 'dry-run': dryRun };
    const flags = { ...(source.includes('clusterCommand(') ? shared : {}), ...hackFlags(source) };
    for (const flag of hackOnly[name] ?? []) delete flags[flag];
    expect(Object.keys(flags).length).toBeGreaterThan(0);
    for (const [flag, type] of Object.entries(flags)) {
      const option = specs[name][camel(aliases[flag] ?? flag)];
      expect(option, `hack/${name} --${flag} has no core option ${camel(flag)}`).toBeDefined();
      // An option Nx may hand over as another JSON type (`--pr 42` arrives as a number) lists its types in oneOf.
      expect(option.type ?? option.oneOf?.map((o) => o.type).find((t) => t === type), `hack/${name} --${flag}`).toBe(type);
    }
  });

  it('the core defaults are the ones the commands apply', () => {
    expect(commandOptions.install.wait.default).toBe('watcher');
    expect(commandOptions.install.timeout.default).toBe('5m');
    expect(commandOptions.render.outputDir.default).toBe('dist/rendered');
  });
});
