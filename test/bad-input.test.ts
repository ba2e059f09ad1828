// Folders that cannot be written, as a user names them on the command line: one line that
// says what and where, a non-zero exit, and nothing left behind. Tests run as root in CI,
// where permissions stop nothing, so the folders sit under a regular file (ENOTDIR) or in
// /proc (ENOENT), which fail for root too.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from './support/clients.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const cli = (...args: string[]) => run('node', [CLI, ...args], { timeoutMs: 10_000 });

let work: string;
let file: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'broken-mta-bad-input-'));
  file = join(work, 'file.txt');
  writeFileSync(file, 'a regular file\n');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Exactly one line on stderr, nothing on stdout (no "listening"), exit 1, not killed. */
function expectOneLineFailure(result: Awaited<ReturnType<typeof cli>>, line: string): void {
  expect(result.signal).toBeNull();
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toEqual([line]);
}

describe('--certs a folder that cannot be written', () => {
  it('under a regular file', async () => {
    const certs = join(file, 'sub');
    const result = await cli('--scenario', 'good', '--port', '0', '--certs', certs);
    expectOneLineFailure(
      result,
      `broken-mta: certificate folder ${certs}: cannot write there (ENOTDIR: not a directory); choose another with --certs or $BROKEN_MTA_CERTS`,
    );
    expect(readdirSync(work)).toEqual(['file.txt']);
  });

  it('in /proc: ends at once (Node\'s recursive mkdir spins there forever)', async () => {
    const result = await cli('--scenario', 'good', '--port', '0', '--certs', '/proc/broken-mta-forbidden');
    expectOneLineFailure(
      result,
      'broken-mta: certificate folder /proc/broken-mta-forbidden: cannot write there (ENOENT: no such file or directory); choose another with --certs or $BROKEN_MTA_CERTS',
    );
  });

  it('certs --export checks its folder before making any certificate', async () => {
    const certs = join(work, 'fresh-cache');
    const result = await cli('certs', '--certs', certs, '--export', join(file, 'out'));
    expectOneLineFailure(result, `broken-mta: --export ${join(file, 'out')}: cannot write there (ENOTDIR: not a directory)`);
    expect(existsSync(certs)).toBe(false);
  });
});

describe('--store a folder that cannot be written', () => {
  it('under a regular file: fails before any certificate is made', async () => {
    const certs = join(work, 'fresh-cache');
    const store = join(file, 'sub');
    const result = await cli('--scenario', 'good', '--port', '0', '--certs', certs, '--store', store);
    expectOneLineFailure(result, `broken-mta: --store ${store}: cannot write there (ENOTDIR: not a directory)`);
    expect(existsSync(certs)).toBe(false);
  });

  it('a regular file itself', async () => {
    const result = await cli('--scenario', 'greylist', '--port', '0', '--store', file);
    expectOneLineFailure(result, `broken-mta: --store ${file}: cannot write there (ENOTDIR: not a directory)`);
  });

  it('in /proc: ends at once', async () => {
    const result = await cli('--scenario', 'greylist', '--port', '0', '--store', '/proc/broken-mta-forbidden');
    expectOneLineFailure(result, 'broken-mta: --store /proc/broken-mta-forbidden: cannot write there (ENOENT: no such file or directory)');
  });

  it('the folders made on the way are removed again', async () => {
    // `made` can be created; the name under it is too long for any file system.
    const store = join(work, 'made', 'x'.repeat(300));
    const result = await cli('--scenario', 'greylist', '--port', '0', '--store', store);
    expectOneLineFailure(result, `broken-mta: --store ${store}: cannot write there (ENAMETOOLONG: name too long)`);
    expect(readdirSync(work)).toEqual(['file.txt']);
  });
});
