#!/usr/bin/env node
// The README's table of sendmail, Postfix and Exim against the catalogue, made from what the
// suites recorded (test/mta/chart/sendmail.json, postfix.json, exim.json; test/mta/chart.ts
// says how). `npm run chart` rewrites the table in README.md, between its markers;
// `node test/mta/chart.mjs --check` exits 1 when it is stale (test/mta/chart.test.ts does too).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const README = `${REPO}README.md`;
const START = '<!-- mta-chart:start -->';
const END = '<!-- mta-chart:end -->';
const COLUMNS = [
  ['sendmail', 'sendmail 8.17'],
  ['postfix', 'Postfix 3.7'],
  ['exim', 'Exim 4.96'],
];

function readChart(mta) {
  return JSON.parse(readFileSync(`${REPO}test/mta/chart/${mta}.json`, 'utf8'));
}

function cell(entry) {
  if (!entry) return 'not charted';
  const line = entry.line ? `<br>\`${entry.line.replaceAll('|', '\\|')}\`` : '';
  return `**${entry.outcome}**${line}`;
}

/** The Markdown table, one row per scenario in the order the suites chart them. */
export function renderChart() {
  const charts = COLUMNS.map(([mta]) => readChart(mta));
  const scenarios = [...new Set(charts.flatMap((chart) => Object.keys(chart)))];
  const rows = scenarios.map((scenario) => `| \`${scenario}\` | ${charts.map((chart) => cell(chart[scenario])).join(' | ')} |`);
  return [`| scenario | ${COLUMNS.map(([, title]) => title).join(' | ')} |`, `| --- | ${COLUMNS.map(() => '---').join(' | ')} |`, ...rows].join('\n');
}

/** README.md with the table between the markers replaced. */
export function readmeWithChart(readme = readFileSync(README, 'utf8')) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${renderChart()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(README, 'utf8');
  const updated = readmeWithChart(readme);
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      process.stderr.write('README.md: the MTA table is stale; npm run chart rewrites it\n');
      process.exitCode = 1;
    }
  } else if (updated !== readme) {
    writeFileSync(README, updated);
    process.stderr.write('README.md: the MTA table rewritten\n');
  }
}
