import { describe, expect, it } from 'vitest';
import { batchingEnv } from './batching.ts';

const argv = (...args: string[]) => ['node', 'nx', ...args];

describe('batchingEnv', () => {
  it('a command naming one task runs unbatched', () => {
    expect(batchingEnv(argv('run', 'monitoring:template'), {})).toEqual({ NX_BATCH_MODE: 'false' });
    expect(batchingEnv(argv('monitoring:template:ci'), {})).toEqual({ NX_BATCH_MODE: 'false' });
  });

  it('run-many, affected and other commands keep their batches', () => {
    expect(batchingEnv(argv('run-many', '-t', 'render'), {})).toBeUndefined();
    expect(batchingEnv(argv('affected', '-t', 'lint', 'render'), {})).toBeUndefined();
    expect(batchingEnv(argv('show', 'projects'), {})).toBeUndefined();
  });

  it('the user choice wins: --batch, --no-batch or NX_BATCH_MODE', () => {
    expect(batchingEnv(argv('run', 'monitoring:template', '--batch'), {})).toBeUndefined();
    expect(batchingEnv(argv('run', 'monitoring:template', '--batch=true'), {})).toBeUndefined();
    expect(batchingEnv(argv('run', 'monitoring:template', '--no-batch'), {})).toBeUndefined();
    expect(batchingEnv(argv('run', 'monitoring:template'), { NX_BATCH_MODE: 'true' })).toBeUndefined();
  });

  it('arguments after -- belong to the task', () => {
    expect(batchingEnv(argv('run', 'monitoring:template', '--', '--batch'), {})).toEqual({ NX_BATCH_MODE: 'false' });
  });
});
