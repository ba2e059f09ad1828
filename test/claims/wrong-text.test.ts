// The claims suite can fail: a page with one wrong text, run by the very code that runs the
// catalogue's claims (in a vitest of its own), fails naming the scenario, the client, the
// command, the text it expected and what the client really printed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../support/clients.js';

const ROOT = join(import.meta.dirname, '..', '..');

it('a deliberately wrong text in one page fails the suite, naming scenario, client, command, expected text and actual output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'broken-mta-wrong-text-'));
  try {
    const page = readFileSync(join(ROOT, 'scenarios', 'weak-dh.yaml'), 'utf8');
    const wrong = page.replace('prints: "error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too small"', 'prints: "error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too large"');
    expect(wrong).not.toBe(page);
    writeFileSync(join(dir, 'weak-dh.yaml'), wrong);
    writeFileSync(
      join(dir, 'wrong.test.ts'),
      [
        `import { loadScenario } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};`,
        `import { describeClaims } from ${JSON.stringify(join(ROOT, 'test', 'support', 'claims.ts'))};`,
        `describeClaims('openssl', [loadScenario(${JSON.stringify(join(dir, 'weak-dh.yaml'))})]);`,
        '',
      ].join('\n'),
    );
    const result = await run(join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', '--root', dir], { cwd: dir, timeoutMs: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('weak-dh: openssl (claim 1) does not hold');
    expect(result.output).toMatch(/command: +openssl s_client -starttls smtp -crlf -connect 127\.0\.0\.1:\d+ -CAfile \S+ <\/dev\/null/);
    expect(result.output).toContain('mismatch: prints "error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too large": not in its output');
    expect(result.output).toMatch(/output:\n(.*\n)*.*\| .*error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too small/);
    expect(result.output).toContain('TLS failed: client sent alert 40 (handshake_failure)');
    expect(result.output).toMatch(/Tests +1 failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
