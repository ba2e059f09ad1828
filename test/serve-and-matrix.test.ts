// `serve` (many scenarios in one process) and `matrix` (one client over the catalogue),
// run as a CI job would run them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { catalogueNames } from '../src/scenario/load.js';
import { opensslStarttls, run } from './support/clients.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const CA = ['-CAfile', '{ca}'];

function junitCases(xml: string): Array<{ name: string; failure?: string; skipped: boolean }> {
  return [...xml.matchAll(/<testcase [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/testcase>/g)].map(([, name, body]) => ({
    name: name!,
    ...(/<failure message="([^"]*)"/.exec(body!) ? { failure: /<failure message="([^"]*)"/.exec(body!)![1] } : {}),
    skipped: body!.includes('<skipped'),
  }));
}

describe('broken-mta serve', () => {
  it('serves several scenarios on their own ports; openssl reaches two of them', async () => {
    const portsFile = join(mkdtempSync(join(tmpdir(), 'broken-mta-serve-')), 'ports.json');
    const child = spawn('node', [CLI, 'serve', '--scenarios', 'good,expired-cert', '--base-port', '0', '--ports-file', portsFile, '--json']);
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const map = JSON.parse((await lines.next()).value as string) as { host: string; ports: Record<string, number> };
      expect(Object.keys(map.ports)).toEqual(['good', 'expired-cert']);
      expect(JSON.parse(readFileSync(portsFile, 'utf8'))).toEqual(map);
      const ca = join(ROOT, 'certs', 'test-ca.pem');
      const good = await opensslStarttls(map.ports.good!, ['-CAfile', ca]);
      expect(good.output).toContain('Verify return code: 0 (ok)');
      const expired = await opensslStarttls(map.ports['expired-cert']!, ['-CAfile', ca, '-verify_return_error']);
      expect(expired.output).toContain('certificate has expired');
      // Events name the scenario that served them.
      for (;;) {
        const event = JSON.parse((await lines.next()).value as string);
        if (event.type === 'tls-failed') {
          expect(event).toMatchObject({ scenario: 'expired-cert', clientAlert: { code: 45 } });
          break;
        }
      }
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a call with neither --all nor --scenarios', async () => {
    const result = await run('node', [CLI, 'serve']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('serve takes either --all or --scenarios');
  });
});

// Over the whole catalogue (63 scenarios): in a fresh checkout the run may also be the one
// that makes rsa-8192's key, which takes up to a minute of one core.
const CATALOGUE_RUN_MS = 240_000;

describe('broken-mta matrix', () => {
  it('openssl over the catalogue: every declared expectation holds; JUnit lists each scenario', async () => {
    const junit = join(mkdtempSync(join(tmpdir(), 'broken-mta-matrix-')), 'openssl.xml');
    // A STARTTLS client waits for a greeting an implicit-TLS server never sends: a short
    // --timeout keeps that honest outcome from costing 20 s.
    const result = await run('node', [CLI, 'matrix', '--timeout', '4000', '--junit', junit, '--', 'openssl', 's_client', '-starttls', 'smtp', '-crlf', '-connect', '{host}:{port}', ...CA, '-verify_return_error'], {
      timeoutMs: CATALOGUE_RUN_MS,
    });
    expect(result.stderr).toMatch(/\[\d+\/\d+\] expired-cert: pass/);
    expect(result.code, result.output.split('\n').filter((line) => /fail/.test(line)).join('\n')).toBe(0);
    const cases = junitCases(readFileSync(junit, 'utf8'));
    expect(cases.map((c) => c.name)).toEqual(catalogueNames());
    expect(cases.filter((c) => c.failure)).toEqual([]);
  }, CATALOGUE_RUN_MS);

  it('swaks over the catalogue, via the example CI script', async () => {
    const junit = join(mkdtempSync(join(tmpdir(), 'broken-mta-matrix-')), 'swaks.xml');
    const result = await run('bash', [join(ROOT, 'examples', 'ci', 'matrix.sh')], {
      timeoutMs: CATALOGUE_RUN_MS,
      env: { ...process.env, BROKEN_MTA: `node ${CLI}`, JUNIT: junit },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\d+ passed, 0 failed/);
    const cases = junitCases(readFileSync(junit, 'utf8'));
    expect(cases.map((c) => c.name)).toEqual(catalogueNames());
    expect(cases.find((c) => c.name === 'good')).toMatchObject({ skipped: false });
    expect(cases.filter((c) => c.failure)).toEqual([]);
  }, CATALOGUE_RUN_MS);

  it('fails, with the mismatch in the table and the JUnit, when a client does not do what is expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-matrix-'));
    const scenario = readFileSync(join(ROOT, 'scenarios', 'expired-cert.yaml'), 'utf8').replace('alert: 45, exit: nonzero, output: "certificate verify failed" }', 'alert: 46, exit: nonzero }');
    writeFileSync(join(dir, 'expired-cert.yaml'), scenario);
    const junit = join(dir, 'out.xml');
    const result = await run('node', [CLI, 'matrix', '--scenarios', join(dir, 'expired-cert.yaml'), '--junit', junit, '--', 'openssl', 's_client', '-starttls', 'smtp', '-crlf', '-connect', '{host}:{port}', ...CA, '-verify_return_error']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL: alert 46, got 45');
    expect(junitCases(readFileSync(junit, 'utf8'))).toEqual([{ name: 'expired-cert', failure: 'alert 46, got 45', skipped: false }]);
  });
});
