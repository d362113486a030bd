import { describe, expect, it } from 'vitest';
import { createRelease } from '../model/release.ts';
import type { Release } from '../model/types.ts';
import { isPaused, mergePatchBetween, parentApplications, PAUSED_ANNOTATION, pausePatch, resumePatch } from './argocd-control.ts';

describe('merge patches', () => {
  it('between two policies: removed keys null, changed values replaced, equal ones left out, maps recursed', () => {
    const from = { automated: { prune: true }, syncOptions: ['A'], retry: { limit: 1, backoff: { duration: '5s' } }, extra: 1 };
    const to = { automated: { prune: true, selfHeal: true }, syncOptions: ['A'], retry: { limit: 2, backoff: { duration: '5s' } } };
    expect(mergePatchBetween(from, to)).toEqual({ extra: null, automated: { selfHeal: true }, retry: { limit: 2 } });
  });

  it('pause then resume gives the policy back, and only a pause without automated counts as paused', () => {
    const policy = { automated: { prune: true, selfHeal: true }, syncOptions: ['ServerSideApply=true'] };
    const app = { metadata: { name: 'demo', resourceVersion: '7' }, spec: { syncPolicy: policy } };
    const patch = pausePatch(app);
    expect(patch).toEqual({
      metadata: { resourceVersion: '7', annotations: { [PAUSED_ANNOTATION]: JSON.stringify(policy) } },
      spec: { syncPolicy: { automated: null } },
    });
    const paused = {
      metadata: { name: 'demo', resourceVersion: '8', annotations: { [PAUSED_ANNOTATION]: JSON.stringify(policy) } },
      spec: { syncPolicy: { syncOptions: policy.syncOptions } },
    };
    expect(isPaused(paused)).toBe(true);
    expect(resumePatch(paused, policy)).toEqual({
      metadata: { resourceVersion: '8', annotations: { [PAUSED_ANNOTATION]: null } },
      spec: { syncPolicy: { automated: policy.automated } },
    });
    // A parent re-applying git put automated back: the annotation alone is not a pause.
    expect(isPaused({ ...paused, spec: { syncPolicy: policy } })).toBe(false);
  });
});

describe('parentApplications', () => {
  const release = (name: string, fields: Partial<Release>) =>
    createRelease({ cluster: 'home', name, chart: name, chartDir: `charts/${name}`, namespace: name, application: name, ...fields });

  it('the directory Application syncing the manifest, then its own parent; an app-of-apps child belongs to the Application of its chart', () => {
    const top = release('top', {
      definedIn: ['clusters/home/top.yaml'],
      source: { kind: 'directory', path: 'clusters/home/roots', recurse: true, include: '', exclude: '' },
      chartDir: 'clusters/home/roots',
    });
    const root = release('root', {
      definedIn: ['clusters/home/roots/root.yaml'],
      source: { kind: 'directory', path: 'clusters/home/apps', recurse: true, include: '', exclude: '' },
      chartDir: 'clusters/home/apps',
    });
    const apps = release('apps', { definedIn: ['clusters/home/apps/apps.yaml'] });
    const child = release('child', { definedIn: ['clusters/home/apps/apps.yaml'], origin: 'app-of-apps' });
    const sibling = release('sibling', { definedIn: ['clusters/home/apps/apps.yaml'], origin: 'app-of-apps' });
    const all = [top, root, apps, child, sibling];
    expect(parentApplications(child, all).map((r) => r.name)).toEqual(['apps', 'root', 'top']);
    expect(parentApplications(top, all)).toEqual([]);
    // A release no Application deploys is nobody's parent.
    expect(
      parentApplications(apps, [...all, release('loose', { application: '', source: root.source, chartDir: 'clusters/home/apps' })]).map((r) => r.name),
    ).toEqual(['root', 'top']);
  });
});
