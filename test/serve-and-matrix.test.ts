// `serve` (many scenarios in one process) and `matrix` (one client over the catalogue),
// run as a CI job would run them.
import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { clientKind, PLACEHOLDERS } from '../src/claims/clients.js';
import { catalogueNames } from '../src/scenario/load.js';
import { opensslStarttls, rawConnect, readUntil, run } from './support/clients.js';
import { tempDir } from './support/temp.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');

function junitCases(xml: string): Array<{ name: string; failure?: string; skipped: boolean }> {
  return [...xml.matchAll(/<testcase [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/testcase>/g)].map(([, name, body]) => ({
    name: name!,
    ...(/<failure message="([^"]*)"/.exec(body!) ? { failure: /<failure message="([^"]*)"/.exec(body!)![1] } : {}),
    skipped: body!.includes('<skipped'),
  }));
}

describe('broken-mta serve', () => {
  it('serves several scenarios on their own ports; openssl reaches two of them', async () => {
    const portsFile = join(tempDir('serve'), 'ports.json');
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

  it('text lines name the scenario with the session, since each scenario numbers its sessions from 1', async () => {
    const child = spawn('node', [CLI, 'serve', '--scenarios', 'good,greylist', '--base-port', '0']);
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const map = JSON.parse((await lines.next()).value as string) as { ports: Record<string, number> };
      for (const name of ['good', 'greylist']) {
        const socket = await rawConnect(map.ports[name]!);
        await readUntil(socket, /^220 /m);
        socket.destroy();
      }
      // connect, the banner, close: three lines from each.
      const seen: string[] = [];
      const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`got only:\n${seen.join('\n')}`)), 5000));
      while (seen.length < 6) seen.push((await Promise.race([lines.next(), deadline])).value as string);
      for (const line of seen) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (good|greylist)#1 /);
      expect(seen.filter((line) => / (good|greylist)#1 closed by the client/.test(line))).toHaveLength(2);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('--help lists the server options it takes (--json, --store, the limits, --exit-on-stdin-close), not those of one scenario', async () => {
    const result = await run('node', [CLI, 'serve', '--help']);
    expect(result.code).toBe(0);
    for (const option of ['--all', '--scenarios', '--base-port', '--ports-file', '--host', '--json', '--store', '--certs', '--max-recipients', '--idle-timeout', '--tls-handshake-timeout', '--exit-on-stdin-close']) {
      expect(result.stdout).toContain(option);
    }
    expect(result.stdout).not.toContain('--scenario ');
    expect(result.stdout).not.toContain('--port ');
  });

  it('the options help lists are taken after `serve`: --json and a limit', async () => {
    const child = spawn('node', [CLI, 'serve', '--scenarios', 'good', '--base-port', '0', '--json', '--max-recipients', '1']);
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const map = JSON.parse((await lines.next()).value as string) as { ports: Record<string, number> };
      const socket = await rawConnect(map.ports.good!);
      await readUntil(socket, /^220 /m);
      socket.write('EHLO client.example.test\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\n');
      await readUntil(socket, /^452 4\.5\.3 /m);
      for (;;) {
        const event = JSON.parse((await lines.next()).value as string);
        if (event.type === 'limit') {
          expect(event).toMatchObject({ scenario: 'good', limit: 'maxRecipients', value: 1 });
          break;
        }
      }
      socket.destroy();
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('a busy port names --base-port; a scenario given twice is refused', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await run('node', [CLI, 'serve', '--scenarios', 'good', '--base-port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(`broken-mta: port ${port} on 127.0.0.1 is in use: choose another --base-port (0: each scenario takes a free port)`);
    } finally {
      busy.close();
    }
    const twice = await run('node', [CLI, 'serve', '--scenarios', 'good,greylist,good', '--base-port', '0']);
    expect(twice.code).toBe(2);
    expect(twice.stderr.trim()).toBe('broken-mta: serve: the scenario "good" is given twice; each runs once, on a port of its own');
  });

  it('refuses a call with neither --all nor --scenarios', async () => {
    const result = await run('node', [CLI, 'serve']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('serve takes either --all or --scenarios');
  });
});

describe('broken-mta matrix', () => {
  const opensslDefault = () => {
    const invocation = clientKind('openssl')!.invoke({}, PLACEHOLDERS, 1);
    return invocation.kind === 'command' ? invocation.argv : [];
  };

  it("openssl run the catalogue's default way, with --client openssl: every claim holds; JUnit lists each scenario", async () => {
    const junit = join(tempDir('matrix'), 'openssl.xml');
    // A STARTTLS client waits for a greeting an implicit-TLS server never sends: a short
    // --timeout keeps that honest outcome from costing 20 s.
    const result = await run('node', [CLI, 'matrix', '--jobs', '4', '--timeout', '4000', '--client', 'openssl', '--junit', junit, '--', ...opensslDefault()], { timeoutMs: 120_000 });
    expect(result.stderr).toMatch(/\[\d+\/\d+\] expired-cert: pass/);
    expect(result.code, result.output.split('\n').filter((line) => /FAIL/.test(line)).join('\n')).toBe(0);
    const cases = junitCases(readFileSync(junit, 'utf8'));
    expect(cases.map((c) => c.name)).toEqual(catalogueNames());
    expect(cases.filter((c) => c.failure)).toEqual([]);
    expect(cases.find((c) => c.name === 'greylist')).toMatchObject({ skipped: true });
  }, 120_000);

  it('swaks over the catalogue, via the example CI script', async () => {
    const junit = join(tempDir('matrix'), 'swaks.xml');
    const result = await run('bash', [join(ROOT, 'examples', 'ci', 'matrix.sh')], {
      timeoutMs: 120_000,
      env: { ...process.env, BROKEN_MTA: `node ${CLI}`, JUNIT: junit },
    });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/\d+ passed, 0 failed/);
    const cases = junitCases(readFileSync(junit, 'utf8'));
    expect(cases.map((c) => c.name)).toEqual(catalogueNames());
    expect(cases.find((c) => c.name === 'good')).toMatchObject({ skipped: false });
    expect(cases.filter((c) => c.failure)).toEqual([]);
  }, 120_000);

  it('fails, naming the mismatch in the table and the JUnit, when a client does not do what the page claims', async () => {
    const dir = tempDir('matrix');
    const page = readFileSync(join(ROOT, 'scenarios', 'expired-cert.yaml'), 'utf8');
    const wrong = page.replace(/(client: swaks\n(?:    .*\n)*?    )alert: 45/, '$1alert: 46');
    expect(wrong).not.toBe(page);
    writeFileSync(join(dir, 'expired-cert.yaml'), wrong);
    const junit = join(dir, 'out.xml');
    const swaks = clientKind('swaks')!.invoke({}, PLACEHOLDERS, 1);
    const result = await run('node', [CLI, 'matrix', '--client', 'swaks', '--scenarios', join(dir, 'expired-cert.yaml'), '--junit', junit, '--', ...(swaks.kind === 'command' ? swaks.argv : [])]);
    expect(result.code).toBe(1);
    const mismatch = 'client alert 46 (certificate_unknown), got 45 (certificate_expired)';
    expect(result.stdout).toContain(`FAIL: ${mismatch}`);
    expect(junitCases(readFileSync(junit, 'utf8'))).toEqual([{ name: 'expired-cert', failure: mismatch, skipped: false }]);
  });
});

describe('broken-mta matrix with a client of your own', () => {
  it('a shell script over openssl s_client, over the whole catalogue: each row says what was observed, JUnit included, exit 0', async () => {
    const junit = join(tempDir('matrix'), 'openssl-sh.xml');
    const script = join(ROOT, 'examples', 'matrix', 'openssl-client.sh');
    const result = await run('node', [CLI, 'matrix', '--jobs', '4', '--timeout', '4000', '--junit', junit, '--', 'sh', script, '{host}', '{port}', '{ca}'], { timeoutMs: 120_000 });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`${catalogueNames().length} scenarios observed`);
    expect(result.stdout).toMatch(/^good +TLS established \(TLSv1\.3, TLS_AES_256_GCM_SHA384\); delivered over TLS; ended with QUIT; exit 0$/m);
    expect(result.stdout).toMatch(/^expired-cert +TLS failed \(client sent alert 45 \(certificate_expired\)\); not delivered; client closed; exit 1$/m);
    expect(result.stdout).toMatch(/^abort-alert +TLS failed \(server sent alert 40 \(handshake_failure\)\); not delivered; server closed; exit 1$/m);
    expect(result.stdout).toMatch(/^starttls-not-advertised +TLS not attempted; not delivered; .*exit 1$/m);
    const cases = junitCases(readFileSync(junit, 'utf8'));
    expect(cases.map((c) => c.name)).toEqual(catalogueNames());
    expect(cases.filter((c) => c.failure || c.skipped)).toEqual([]);
  }, 120_000);

  it('--expect fails the run when the client changes, naming scenario and mismatch', async () => {
    const dir = tempDir('matrix');
    const expectFile = join(dir, 'expect.yaml');
    writeFileSync(expectFile, 'good: { exit: 0, delivered: true }\nweak-dh: { prints: "dh key too large", alert: 41 }\n');
    const result = await run('node', [CLI, 'matrix', '--scenarios', 'good,weak-dh', '--expect', expectFile, '--', 'python3', join(ROOT, 'examples', 'matrix', 'smtplib_client.py'), '{host}', '{port}', '{ca}']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^good .* pass$/m);
    expect(result.stdout).toContain('FAIL: prints "dh key too large": not in its output; client alert 41 (no_certificate), got 40 (handshake_failure)');
  });

  it.each([
    ['wedk-dh: { exit: 1 }\n', 'FILE:1: wedk-dh: no scenario of that name in this run'],
    ['good:\n  exit: 0\n  delivred: true\n', 'FILE:3: good.delivred: unknown key "delivred"'],
    ['good:\n  - { tls: maybe }\n', 'FILE:2: good.0.tls: must be one of "established", "failed", "none"'],
    ['good: { note: "nothing to check" }\n', 'FILE:1: good: says nothing to check'],
  ])('--expect checks its file like a scenario file: %j', async (text, message) => {
    const file = join(tempDir('matrix'), 'expect.yaml');
    writeFileSync(file, text);
    const result = await run('node', [CLI, 'matrix', '--scenarios', 'good,weak-dh', '--expect', file, '--', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr.replaceAll(file, 'FILE')).toContain(`broken-mta: ${message}`);
  });

  // Run from a folder whose examples/ is the checkout's, so that what they write stays there.
  it('every example `matrix --help` prints runs as printed and passes; Python smtplib over the whole catalogue with --expect, JUnit included', async () => {
    const help = await run('node', [CLI, 'matrix', '--help']);
    const examples = [...help.stdout.matchAll(/^ {2}broken-mta (matrix .*)$/gm)].map((match) => match[1]!);
    expect(examples).toHaveLength(3);
    const cwd = tempDir('matrix-help');
    symlinkSync(join(ROOT, 'examples'), join(cwd, 'examples'));
    const results = [];
    for (const example of examples) {
      const result = await run('sh', ['-c', `node ${CLI} ${example}`], { timeoutMs: 120_000, cwd });
      expect(result.code, `${example}\n${result.stdout}`).toBe(0);
      expect(result.stdout).not.toContain('FAIL:');
      results.push(result);
    }
    expect(results[0]!.stdout).toMatch(/^groupwise-450 +TLS not attempted; not delivered; ended with QUIT; exit 1$/m);
    expect(results[1]!.stdout).toMatch(/^9 passed, 0 failed, \d+ without an expectation$/m);
    const cases = junitCases(readFileSync(join(cwd, 'matrix-smtplib.xml'), 'utf8'));
    expect(cases.map((c) => c.name)).toEqual(catalogueNames());
    expect(cases.filter((c) => c.failure)).toEqual([]);
    expect(cases.filter((c) => !c.skipped).map((c) => c.name).sort()).toEqual(['abort-silence', 'expired-cert', 'good', 'greylist', 'groupwise-450', 'starttls-not-advertised', 'tls10-only', 'weak-dh', 'wrong-host']);
    expect(results[2]!.stdout).toMatch(/^3 passed, 0 failed, 0 without an expectation$/m);
  }, 240_000);
});
