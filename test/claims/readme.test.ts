// What the README says about claims is made from the code, and its examples run as printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { invocationBlock, settingsTable } from '../../src/claims/docs.js';
import { startScenario } from '../../src/index.js';
import { parse } from 'yaml';
import { parseScenarioObject } from '../../src/scenario/load.js';
import { checkClaim, CLAIM_IDLE_TIMEOUT_MS, runCommand } from '../support/claims.js';
import { run } from '../support/clients.js';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const between = (start: string, end: string) => README.split(start)[1]!.split(end)[0]!.trim();
const blockAfter = (marker: string, fence: string) => README.split(marker)[1]!.split(fence)[1]!.split('```')[0]!;

describe('the README on claims', () => {
  it("lists exactly the settings a claim's `with` may name, as src/claims/settings.ts has them", () => {
    expect(between('<!-- settings:start -->', '<!-- settings:end -->')).toBe(settingsTable());
  });

  it("shows each client's default invocation as src/claims/clients.ts makes it", () => {
    expect(between('<!-- invocations:start -->', '<!-- invocations:end -->')).toBe(invocationBlock());
  });

  it('its scenario file example loads, and each of its claims holds against that scenario', async () => {
    const text = blockAfter('## Scenario files', '```yaml\n');
    const scenario = parseScenarioObject(parse(text));
    const mta = await startScenario(scenario, { limits: { idleTimeoutMs: CLAIM_IDLE_TIMEOUT_MS } });
    try {
      for (const [index, claim] of scenario.symptoms.entries()) await checkClaim(mta, { scenario, claim, index: index + 1 }, runCommand);
    } finally {
      await mta.close();
    }
  });

  it('its --expect example is taken from the file the matrix tests run', () => {
    const example = blockAfter('To hold your client to what it does today', '```yaml\n');
    const file = readFileSync(join(ROOT, 'examples', 'matrix', 'smtplib.expect.yaml'), 'utf8');
    for (const line of example.trim().split('\n')) expect(file).toContain(line);
  });

  it('its matrix examples are the ones `matrix --help` prints, which serve-and-matrix.test.ts runs as printed', async () => {
    const help = (await run('node', [join(ROOT, 'dist', 'cli.js'), 'matrix', '--help'])).stdout;
    const examples = [...README.matchAll(/^broken-mta matrix .*\{host\}.*$/gm)].map((match) => match[0]);
    expect(examples.length).toBeGreaterThan(1);
    for (const example of examples) expect(help).toContain(`  ${example}\n`);
  });

  it('its explain example prints what the README shows', async () => {
    const example = blockAfter('- `explain` turns a customer', '```\n').replace(/^ {2}/gm, '').trim().split('\n');
    const command = example[0]!.replace(/^\$ broken-mta /, '');
    const args = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
    const result = await run('node', [join(ROOT, 'dist', 'cli.js'), ...args]);
    expect(result.stdout.trim()).toBe(example.slice(1).join('\n'));
  });
});
