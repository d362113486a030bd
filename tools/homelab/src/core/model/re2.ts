// RE2, Go's regular expressions (re2-wasm), loaded on the first pattern: compiling its WebAssembly costs about as much
// as starting Node, and most runs (a render whose Applications use no regexp function) never need it.
import { createRequire } from 'node:module';
import type { RE2 as RE2Class } from 're2-wasm';

let loaded: typeof RE2Class | undefined;

/** A compiled RE2 pattern; throws RE2's own error when `pattern` is not valid RE2. */
export function compileRE2(pattern: string, flags: string): RE2Class {
  loaded ??= (createRequire(import.meta.url)('re2-wasm') as { RE2: typeof RE2Class }).RE2;
  return new loaded(pattern, flags);
}
