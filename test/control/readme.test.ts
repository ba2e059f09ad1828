// The README's control API example, run exactly as printed by bash (and under set -euo
// pipefail, as CI scripts often are), from a project with broken-mta installed: its output
// is what its comments say, and the trap leaves no server behind.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawConnect, run } from '../support/clients.js';
import { codeBlocks, installedProject } from '../support/readme.js';

const [script] = codeBlocks('## From any language: the control API');

describe('README: From any language: the control API', () => {
  it.each([
    ['as printed, run by bash', [] as string[]],
    ['under set -euo pipefail', ['-euo', 'pipefail']],
  ])('%s: fails twice, then delivers; expired-cert brings alert 45; the trap stops the server', async (_, flags) => {
    const project = installedProject();
    const result = await run('bash', [...flags, '-c', script!], { cwd: project, timeoutMs: 30_000 });
    expect(result.code, result.output).toBe(0);
    // Each comment line that shows output is what the lines above it print, in order.
    const promised = script!
      .split('\n')
      .filter((line) => /^# (curl:|delivered|\{|")/.test(line))
      .map((line) => line.slice(2));
    let at = 0;
    for (const line of promised) {
      const [before, after] = line.split('...');
      const found = result.output.indexOf(before!, at);
      expect(found, `"${line}" not printed after position ${at}:\n${result.output}`).toBeGreaterThanOrEqual(0);
      at = found + before!.length;
      if (after) expect(result.output.slice(at)).toContain(after.split('...')[0]!);
    }
    expect(result.stdout).toContain('"next":[{"scenario":"mailbox-full-452","connections":2}]');
    const map = JSON.parse(readFileSync(join(project, 'ports.json'), 'utf8'));
    await expect(rawConnect(Number(new URL(map.control).port))).rejects.toThrow(/ECONNREFUSED/);
    expect(readFileSync(join(project, 'mta.log'), 'utf8')).toMatch(/ :\d+ mailbox-full-452#1 fault reply at RCPT/);
  });
});
