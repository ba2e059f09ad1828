// `broken-mta matrix --client KIND` over the reply-grammar and TLS-stream pages: each row
// held to the page's claims for the client run the catalogue's default way, as a CI job
// would run it (openssl and swaks go over the whole catalogue in serve-and-matrix.test.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientKind, PLACEHOLDERS } from '../src/claims/clients.js';
import { catalogueNames } from '../src/scenario/load.js';
import { run } from './support/clients.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const GRAMMAR = catalogueNames().filter((name) => /^(reply-|greeting-)/.test(name));
const TLS_STREAM = ['tls-throttled', 'tls-reset-in-data', 'tls-close-notify-no-fin', 'tls-no-close-notify', 'tls-one-byte-records', 'tls-stall-after-finished'];

/** The client's default command as matrix takes it after `--` (through sh when its input is a script). */
function defaultCommand(kind: string): string[] {
  const invocation = clientKind(kind)!.invoke({}, PLACEHOLDERS, 1);
  if (invocation.kind !== 'command') throw new Error(`${kind} is not a command`);
  return invocation.stdin ? ['sh', '-c', `${invocation.stdin} | "$0" "$@"`, ...invocation.argv] : invocation.argv;
}

describe.concurrent('broken-mta matrix over the reply-grammar and TLS-stream pages', () => {
  it.each([
    ['nodemailer', [...GRAMMAR, ...TLS_STREAM]],
    ['smtplib', GRAMMAR],
  ])('--client %s: every row passes', async (kind, scenarios) => {
    const result = await run('node', [CLI, 'matrix', '--jobs', '4', '--timeout', '8000', '--client', kind, '--scenarios', scenarios.join(','), '--', ...defaultCommand(kind)], { timeoutMs: 90_000 });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toContain(`${scenarios.length} passed, 0 failed, 0 without an expectation`);
  }, 90_000);
});
