// `explain` given what `capture --json` printed: the catalogue scenario the captured server
// resembles most, by the defects they share.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capture } from '../../src/capture/capture.js';
import { startScenario } from '../../src/index.js';
import { run } from '../support/clients.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'broken-mta-capture-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function capturedJson(name: string): Promise<string> {
  const mta = await startScenario(name);
  try {
    const findings = await capture({ host: '127.0.0.1', port: mta.port, implicit: false, helo: 'probe.example.test', starttls: true, timeoutMs: 3000, caFile: mta.caFile });
    return JSON.stringify(findings);
  } finally {
    await mta.close();
  }
}

describe('explain, given a capture', () => {
  it('a file of `capture --json`: the scenario with the same defects, and none that shares nothing', async () => {
    const file = join(dir, 'composite.json');
    writeFileSync(file, await capturedJson('dh-composite'));
    const result = await run('node', [CLI, 'explain', file, '-n', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^1\. dh-composite: .*\n   the same defects: dh:composite\n   run it: broken-mta --scenario dh-composite\n$/);
  });

  it('the JSON itself as the argument, for a server with two defects: both scenarios, each half alike', async () => {
    const json = JSON.parse(await capturedJson('expired-cert'));
    json.tls.versions = ['TLSv1'];
    json.tls.tls13 = { ok: false };
    const result = await run('node', [CLI, 'explain', JSON.stringify(json)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^1\. (expired-cert|tls10-only): .*\n   resembles it \(50%\): /);
    expect(result.stdout).toContain('expired-cert');
    expect(result.stdout).toContain('tls10-only');
  });

  it('JSON that is not a capture is bad input; a log line is still a log line', async () => {
    const bad = await run('node', [CLI, 'explain', '{"hello": 1}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('broken-mta: not the JSON of `broken-mta capture --json` (no "capture" section)');
    const line = await run('node', [CLI, 'explain', 'reason=dh key too small', '-n', '1']);
    expect(line.stdout).toMatch(/^1\. weak-dh: /);
  });
});
