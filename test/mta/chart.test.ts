// The README's table of the three MTAs is made from the suites' recordings, not typed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain script, run by `npm run chart`; no declarations.
import { readmeWithChart, renderChart } from './chart.mjs';
import { CHARTED, readChart, type ChartMta } from './chart.js';
import { REPO } from './support.js';

describe('the README table of sendmail, Postfix and Exim', () => {
  it('is what test/mta/chart/*.json say (`npm run chart` rewrites it when this fails)', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    expect(readmeWithChart(readme)).toBe(readme);
  });

  it.each(['sendmail', 'postfix', 'exim'] as ChartMta[])('test/mta/chart/%s.json charts every scenario of test/mta/chart.ts, in its order', (mta) => {
    expect(Object.keys(readChart(mta))).toEqual(CHARTED.map(({ scenario }) => scenario));
  });

  it('has a row per charted scenario and a cell per MTA', () => {
    const rows = (renderChart() as string).split('\n').slice(2);
    expect(rows).toHaveLength(CHARTED.length);
    for (const row of rows) expect(row.split(' | ')).toHaveLength(4);
  });
});
