// A broken secrets.yaml stops `template` with one line and no manifest, through hack/template and the real Nx;
// with no key at all, the keyless mode (`--keyless`, `--configuration=ci`) still renders.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateIdentity } from 'age-encryption';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, nxEnv, type ExampleRepo } from '../affected/example-repo.ts';

let repo: ExampleRepo;
let original: string;
let home: string;

/** The developer's own keys never count here: only the repository (demo key) or what a test sets. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...nxEnv(), HOME: home, FORCE_COLOR: '0', ...extra };
  for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'XDG_CONFIG_HOME']) if (!(k in extra)) delete e[k];
  return e;
}

const hackTemplate = (args: string[], extra?: Record<string, string>) =>
  execa(process.execPath, [path.join(repo.root, 'hack/template'), ...args], {
    cwd: repo.root,
    env: env(extra),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });

const nx = (args: string[], extra?: Record<string, string>) =>
  execa(process.execPath, [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), ...args], {
    cwd: repo.root,
    env: env(extra),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });

/** hack/template: nothing on stdout, exactly one line on stderr. */
function hackRefusal(run: { exitCode?: number; stdout: unknown; stderr: unknown }): string {
  expect(run.exitCode).not.toBe(0);
  expect(run.stdout).toBe('');
  const lines = String(run.stderr).trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** Nx frames the task with its own lines; the task itself printed exactly one error line and no manifest. */
function nxRefusal(run: { exitCode?: number; stdout: unknown; stderr: unknown }): string {
  expect(run.exitCode).not.toBe(0);
  const all = `${run.stdout}\n${run.stderr}`;
  expect(all).not.toMatch(/^(apiVersion|kind):/m);
  const errors = all.split('\n').filter((l) => l.includes('✖'));
  expect(errors).toHaveLength(1);
  return errors[0];
}

function writeSecrets(text: string): void {
  writeFileSync(path.join(repo.root, 'secrets.yaml'), text);
}

const encValues = (text: string, type: string) => [...text.matchAll(new RegExp(`ENC\\[AES256_GCM,data:[^\\]]*,type:${type}\\]`, 'g'))].map((m) => m[0]);

function swap(text: string, a: string, b: string): string {
  return text.replace(a, '\0A\0').replace(b, a).replace('\0A\0', b);
}

const tampered: Record<string, { make: (text: string) => string; line: RegExp }> = {
  'two values of the same type swapped': {
    make: (text) => {
      const [a, b] = encValues(text, 'str');
      return swap(text, a, b);
    },
    line: /secrets\.yaml: a value that does not decrypt at \S+: the file was tampered with or corrupted/,
  },
  'two list items swapped (each decrypts, the MAC does not match)': {
    make: (text) => {
      const items = [...text.matchAll(/^\s+- (ENC\[[^\]]+\])$/gm)].map((m) => m[1]);
      return swap(text, items[0], items[1]);
    },
    line: /secrets\.yaml: MAC mismatch: the file was tampered with or corrupted/,
  },
  'one ciphertext byte changed': {
    make: (text) => {
      const value = encValues(text, 'str')[2];
      const at = value.indexOf('data:') + 5;
      const flipped = value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
      return text.replace(value, flipped);
    },
    line: /secrets\.yaml: a value that does not decrypt at \S+: the file was tampered with or corrupted/,
  },
};

beforeAll(() => {
  repo = createExampleRepo();
  original = repo.read('secrets.yaml');
  home = mkdtempSync(path.join(tmpdir(), 'secrets-tamper-home-'));
});
afterAll(() => {
  repo?.dispose();
  rmSync(home, { recursive: true, force: true });
});

describe('a tampered secrets.yaml: one line naming the file, no manifest', () => {
  for (const [name, { make, line }] of Object.entries(tampered)) {
    it(name, async () => {
      writeSecrets(make(original));
      try {
        expect(repo.read('secrets.yaml')).not.toBe(original);
        expect(hackRefusal(await hackTemplate(['monitoring']))).toMatch(line);
        expect(nxRefusal(await nx(['run', 'monitoring:template', '--skip-nx-cache']))).toMatch(line);
      } finally {
        writeSecrets(original);
      }
    });
  }
});

describe('refusals before anything renders', () => {
  it('an unencrypted secrets.yaml is refused, with a key and keyless (helm-secrets would pass it through)', async () => {
    writeSecrets(plainSecrets(original));
    try {
      const line = /secrets\.yaml: not a SOPS-encrypted file \(no sops metadata\), refusing to treat it as a secret/;
      expect(hackRefusal(await hackTemplate(['monitoring']))).toMatch(line);
      expect(hackRefusal(await hackTemplate(['monitoring', '--keyless']))).toMatch(line);
      expect(nxRefusal(await nx(['run', 'monitoring:template', '--skip-nx-cache']))).toMatch(line);
      expect(nxRefusal(await nx(['run', 'monitoring:template', '--configuration=ci', '--skip-nx-cache']))).toMatch(line);
    } finally {
      writeSecrets(original);
    }
  });

  it('a wrong key names the recipients secrets.yaml is encrypted for', async () => {
    const recipients = (parse(original).sops.age as { recipient: string }[]).map((a) => a.recipient);
    const other = { SOPS_AGE_KEY: await generateIdentity() };
    for (const line of [
      hackRefusal(await hackTemplate(['monitoring'], other)),
      nxRefusal(await nx(['run', 'monitoring:template', '--skip-nx-cache'], other)),
    ]) {
      expect(line).toMatch(/secrets\.yaml: none of the age keys from SOPS_AGE_KEY can decrypt it/);
      expect(line).toContain(`it is encrypted for ${recipients.join(', ')}`);
      expect(line).not.toContain(other.SOPS_AGE_KEY);
    }
  });
});

describe('no key at all (demo key absent, no key variable, empty HOME)', () => {
  const noKey = () => ({});
  let demoKey: string;
  beforeAll(() => {
    demoKey = repo.read('demo-age-key.txt');
    repo.remove('demo-age-key.txt');
  });
  afterAll(() => repo.write('demo-age-key.txt', demoKey));

  it('template says where it looked', async () => {
    const line = hackRefusal(await hackTemplate(['monitoring'], noKey()));
    expect(line).toMatch(/secrets\.yaml: no age key found \(looked in /);
    expect(line).toContain(path.join(home, '.config/sops/age/keys.txt'));
    expect(line).toContain(path.join(repo.root, 'demo-age-key.txt'));
    expect(nxRefusal(await nx(['run', 'monitoring:template', '--skip-nx-cache'], noKey()))).toMatch(/no age key found/);
  });

  it('keyless renders with structure-preserving placeholders: --keyless, and the ci configuration', async () => {
    const placeholder = 'placeholder-monitoring.alertmanager.smtp.from';
    const hack = await hackTemplate(['monitoring', '--keyless'], noKey());
    expect(hack.exitCode, String(hack.stderr)).toBe(0);
    expect(hack.stdout).toContain(placeholder);
    for (const args of [['--configuration=ci'], ['--keyless']]) {
      const run = await nx(['run', 'monitoring:template', ...args, '--skip-nx-cache'], noKey());
      expect(run.exitCode, String(run.stderr)).toBe(0);
      expect(run.stdout).toMatch(/^kind: Secret$/m);
      expect(run.stdout).toContain(placeholder);
    }
  });
});

/** A plaintext secrets.yaml with the same keys but values of our own (never the demo secrets). */
function plainSecrets(encrypted: string): string {
  const doc = parse(encrypted) as Record<string, unknown>;
  delete doc.sops;
  const fill = (v: unknown, p: string): unknown =>
    Array.isArray(v)
      ? v.map((x, i) => fill(x, `${p}[${i}]`))
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, `${p}.${k}`)]))
        : `plain${p}`;
  return `# forgot to encrypt\n${JSON.stringify(fill(doc, ''), null, 2)}\n`;
}
