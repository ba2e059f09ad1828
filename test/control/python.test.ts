// The Python example suite (examples/python, standard library only) as npm test runs it:
// another language's test suite driving broken-mta over the control API.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../support/clients.js';

const ROOT = join(import.meta.dirname, '..', '..');

it('examples/python: unittest with smtplib against serve --control passes, all four tests', async () => {
  const result = await run('python3', ['-m', 'unittest', 'discover', '-s', join(ROOT, 'examples', 'python'), '-v'], {
    cwd: ROOT,
    timeoutMs: 60_000,
    env: { ...process.env, BROKEN_MTA: `node ${join(ROOT, 'dist', 'cli.js')}`, PYTHONDONTWRITEBYTECODE: '1' },
  });
  expect(result.code, result.output).toBe(0);
  expect(result.stderr).toMatch(/^Ran 4 tests in .*\n\nOK\n$/m);
  for (const name of ['good_delivers_over_tls', 'expired_cert_fails_the_handshake_with_alert_45', 'greylist_defers_then_accepts_the_retry', 'next_fails_twice_then_succeeds']) {
    expect(result.stderr).toMatch(new RegExp(`test_${name} .* \\.\\.\\. ok$`, 'm'));
  }
});
