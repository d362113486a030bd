// A chart parked in a directory an ApplicationSet excludes (apps/*.disabled) has no release: its render target says so
// in one line and succeeds, while the charts the generator includes render exactly as ArgoCD's helm command.
import { execa } from 'execa';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkWorkspace } from '../tools/homelab/src/core/commands/check.ts';
import { lint } from '../tools/homelab/src/core/commands/lint.ts';
import { template } from '../tools/homelab/src/core/commands/template.ts';
import { validate } from '../tools/homelab/src/core/commands/validate.ts';
import { resolveHelm } from '../tools/homelab/src/core/helm/helm.ts';
import { openWorkspace, type Workspace } from '../tools/homelab/src/core/resolve/workspace.ts';
import { normalizeLayout } from '../tools/homelab/src/core/workspace/layout.ts';
import { repoRoot } from './support/workspace.ts';

describe('a chart in a directory an ApplicationSet excludes', () => {
  let root: string;
  let ws: Workspace;
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'homelab-excluded-'));
    cpSync(path.join(repoRoot, 'test/fixtures/resolution/excluded-dirs'), root, { recursive: true });
    ws = await openWorkspace(root, normalizeLayout(root, { charts: ['apps/*', 'tools/*'] }));
  });

  it('renders nothing, says why in one line, and succeeds', async () => {
    let printed = '';
    const rendered = await template(ws, { target: 'legacy.disabled', outputDir: 'dist/rendered', keyless: true }, (text) => (printed += text));
    expect(rendered).toEqual([]);
    expect(printed).toBe('# legacy.disabled: deployed by no Application (an ApplicationSet excludes its directory): nothing to render\n');
    expect(existsSync(path.join(root, 'dist/rendered'))).toBe(false);
    printed = '';
    expect(await lint(ws, { target: 'legacy.disabled' }, (text) => (printed += text))).toEqual([]);
    expect(await validate(ws, { target: 'legacy.disabled' }, (text) => (printed += text))).toEqual([]);
    expect(printed).toBe(
      '# legacy.disabled: deployed by no Application (an ApplicationSet excludes its directory): nothing to lint\n' +
        '# legacy.disabled: deployed by no Application (an ApplicationSet excludes its directory): nothing to validate\n',
    );
  });

  it('renders what the generator includes as helm template with the templatePatch parameters', async () => {
    const { bin } = await resolveHelm();
    const byHand = await execa(bin, ['template', 'api', 'apps/api', '--namespace', 'api', '--kube-version', '1.31.0', '--set', 'replicas=2'], {
      cwd: root,
      stripFinalNewline: false,
    });
    const [rendered] = await template(ws, { target: 'api', keyless: true }, () => {});
    expect(rendered.manifest).toBe(byHand.stdout);
    expect(rendered.manifest).toContain('replicas: "2"');
  });

  it('is reported by check as deployed by no Application, naming the exclusion (a chart nothing mentions: without it)', async () => {
    const report = await checkWorkspace(root, { layout: normalizeLayout(root, { charts: ['apps/*', 'tools/*'] }) });
    expect(report.findings.map((f) => f.message)).toEqual([
      'tools/debug: chart debug is deployed by no Application in any cluster',
      'apps/legacy.disabled: chart legacy.disabled is deployed by no Application in any cluster (an ApplicationSet excludes its directory)',
    ]);
  });
});
