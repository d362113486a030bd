import { describe, expect, it } from 'vitest';
import { createRelease } from '../core/model/release.ts';
import { releaseConfigurations } from './targets.ts';

const release = (cluster: string, name: string, chart = 'web') =>
  createRelease({ cluster, name, application: name, chart, chartDir: `charts/${chart}`, namespace: name });

describe('configuration names', () => {
  it('one per environment of the workspace, even where the project has no release', () => {
    expect(releaseConfigurations([release('home', 'web')], ['home', 'lab'])).toEqual({ home: { cluster: 'home' }, lab: { cluster: 'lab' } });
  });

  it('adding an environment adds its configuration and renames none', () => {
    const home = [release('home', 'blog'), release('home', 'shop')];
    const before = releaseConfigurations(home, ['home']);
    const after = releaseConfigurations([...home, release('lab', 'blog'), release('lab', 'shop')], ['home', 'lab']);
    expect(before).toEqual({
      home: { cluster: 'home' },
      'home-blog': { release: 'home/blog' },
      'home-shop': { release: 'home/shop' },
      blog: { release: 'blog' },
      shop: { release: 'shop' },
    });
    expect(after).toEqual({ ...before, lab: { cluster: 'lab' }, 'lab-blog': { release: 'lab/blog' }, 'lab-shop': { release: 'lab/shop' } });
  });

  it('an environment named like a release keeps the short name; the release stays reachable as <env>-<release>', () => {
    const configurations = releaseConfigurations([release('home', 'lab'), release('home', 'web')], ['home', 'lab']);
    expect(configurations.lab).toEqual({ cluster: 'lab' });
    expect(configurations['home-lab']).toEqual({ release: 'home/lab' });
    // A release named like its project would select the whole project as a bare name: only <env>-web.
    expect(configurations.web).toBeUndefined();
  });
});
