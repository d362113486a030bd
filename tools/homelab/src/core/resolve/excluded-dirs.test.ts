import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeLayout } from '../workspace/layout.ts';
import { type Resolution, resolveReleases } from './releases.ts';

const root = resolve(import.meta.dirname, '../../../../../test/fixtures/resolution/excluded-dirs');

describe('directories an ApplicationSet git generator excludes', () => {
  let res: Resolution;
  beforeAll(async () => {
    res = await resolveReleases(normalizeLayout(root, { charts: ['apps/*', 'tools/*'] }));
  });

  it('deploy nothing: a parked chart gets no convention release', () => {
    expect(res.findings).toEqual([]);
    expect(res.charts.map((c) => c.dir)).toContain('apps/legacy.disabled');
    expect(res.releases.filter((r) => r.chartDir === 'apps/legacy.disabled')).toEqual([]);
  });

  it('still deploy what another Application names; the generator deploys the rest, a chart nothing mentions gets the convention', () => {
    expect(res.releases.map((r) => [r.chartDir, r.name, r.origin, r.namespace])).toEqual([
      ['apps/api', 'api', 'applicationset', 'api'],
      ['tools/debug', 'debug', 'convention', 'debug'],
      ['apps/paperless.disabled', 'paperless', 'application', 'paperless'],
      ['apps/web', 'web', 'applicationset', 'web'],
    ]);
    const convention = res.releases.find((r) => r.origin === 'convention')!;
    expect([convention.application, convention.definedIn, convention.kubeVersion, convention.valueFiles]).toEqual([
      '',
      [],
      '1.31.0',
      [{ raw: 'values.yaml', path: 'tools/debug/values.yaml', secret: false }],
    ]);
    // The templatePatch's {{ if }} applies to the api element only.
    expect(res.releases.find((r) => r.name === 'api')?.parameters).toEqual([{ name: 'replicas', value: '2', forceString: false }]);
    expect(res.releases.find((r) => r.name === 'web')?.parameters).toEqual([]);
  });
});
