// What each command loads as it starts, from the built binary: every package it loads is
// start-up time (BENCHMARKS.md measures how much). Commands that serve nothing load no
// library but commander; serving a catalogue scenario reads it as data (no yaml) and its
// certificates from the cache (no certificate library).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { run } from './support/clients.js';
import { tempDir } from './support/temp.js';

const ROOT = join(import.meta.dirname, '..');
const RECORD = join(ROOT, 'test', 'support', 'record-loads.mjs');

/** The packages (node_modules/NAME) a list of loaded modules comes from, sorted. */
function packagesIn(loads: string): string[] {
  const names = loads.split('\n').flatMap((line) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1] ?? []);
  return [...new Set(names)].sort();
}

async function packagesLoadedBy(args: string[], cli = join(ROOT, 'dist', 'cli.js')): Promise<{ packages: string[]; stdout: string; loads: string }> {
  const file = join(tempDir('loads'), 'loads');
  const result = await run('node', ['--import', RECORD, cli, ...args], { env: { ...process.env, BROKEN_MTA_RECORD_LOADS: file } });
  expect(result.code, result.output).toBe(0);
  const loads = readFileSync(file, 'utf8');
  return { packages: packagesIn(loads), stdout: result.stdout, loads };
}

describe('start-up: what each command loads', () => {
  it.each([[['--version']], [['list']], [['show', 'good']], [['show', 'weak-dh', '--port', '2600']]])('%j loads no package but commander', async (args) => {
    const { packages, stdout } = await packagesLoadedBy(args);
    expect(stdout).not.toBe('');
    expect(packages).toEqual(['commander']);
  });

  it.each([[['--version']], [['list']]])('%j loads none of the claims (the client registry is for matrix, show and the tests)', async (args) => {
    const { loads } = await packagesLoadedBy(args);
    expect(loads).toContain('dist/cli.js');
    expect(loads.split('\n').filter((line) => line.includes('dist/claims/'))).toEqual([]);
  });

  it('serving a catalogue scenario on warm certificates reads the scenario as data and the certificates from the cache', async () => {
    const file = join(tempDir('loads'), 'loads');
    const child = spawn('node', ['--import', RECORD, join(ROOT, 'dist', 'cli.js'), '--scenario', 'good', '--port', '0'], {
      env: { ...process.env, BROKEN_MTA_RECORD_LOADS: file },
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const [first] = await Promise.race([
        createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then(({ value }) => [value as string]),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no listening line within 10 s')), 10_000)),
      ]);
      expect(first).toMatch(/^listening on /);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const packages = packagesIn(readFileSync(file, 'utf8'));
    expect(packages).toContain('smtp-server');
    for (const unused of ['yaml', 'pkijs', 'asn1js']) expect(packages).not.toContain(unused);
  });

  it('a catalogue edited since the build is read from its files, not from the built data', async () => {
    // A copy of the built package whose good.yaml has a new summary, as a checkout edited and not rebuilt.
    const copy = tempDir('package');
    for (const entry of ['package.json', 'dist', 'scenarios']) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    expect(existsSync(join(copy, 'dist', 'catalogue.json'))).toBe(true);
    const good = join(copy, 'scenarios', 'good.yaml');
    writeFileSync(good, readFileSync(good, 'utf8').replace(/^summary: .*$/m, 'summary: edited after the build'));

    const { packages, stdout } = await packagesLoadedBy(['list'], join(copy, 'dist', 'cli.js'));
    expect(stdout).toMatch(/^good +edited after the build$/m);
    expect(packages).toEqual(expect.arrayContaining(['yaml', 'zod']));
    expect((await packagesLoadedBy(['show', 'good'], join(copy, 'dist', 'cli.js'))).stdout).toMatch(/^good: edited after the build$/m);
  });
});
