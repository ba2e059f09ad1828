// The matrix's results as a table for the terminal and as JUnit XML for CI.
import { describeExpectation, describeObservation } from './claims/check.js';
import type { MatrixRow } from './matrix.js';

function table(header: string[], body: string[][]): string[] {
  const widths = header.map((_, column) => Math.max(header[column]!.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return [line(header), ...body.map(line)];
}

const expectedText = (row: MatrixRow) => (row.expected ? row.expected.map(describeExpectation).join('; ') : '-');

export function formatTable(rows: MatrixRow[]): string {
  if (rows.every((row) => row.verdict === 'observed')) {
    const lines = table(['scenario', 'observed'], rows.map((row) => [row.scenario, describeObservation(row.observation)]));
    return [...lines, '', `${rows.length} scenarios observed (no expectations: give --expect FILE or --client KIND to pass or fail)`].join('\n');
  }
  const lines = table(
    ['scenario', 'expected', 'observed', 'result'],
    rows.map((row) => [row.scenario, expectedText(row), describeObservation(row.observation), row.verdict === 'fail' ? `FAIL: ${row.mismatches.join('; ')}` : row.verdict]),
  );
  const passed = rows.filter((row) => row.verdict === 'pass').length;
  const failed = rows.filter((row) => row.verdict === 'fail').length;
  return [...lines, '', `${passed} passed, ${failed} failed, ${rows.length - passed - failed} without an expectation`].join('\n');
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

export function formatJUnit(rows: MatrixRow[], suite: string): string {
  const failures = rows.filter((row) => row.verdict === 'fail').length;
  const skipped = rows.filter((row) => row.verdict === 'no expectation').length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = rows.reduce((sum, row) => sum + row.durationMs, 0);
  const cases = rows.map((row) => {
    const open = `    <testcase classname="broken-mta.${escapeXml(suite)}" name="${escapeXml(row.scenario)}" time="${seconds(row.durationMs)}">`;
    const observed = escapeXml(`observed: ${describeObservation(row.observation)}\n${row.observation.output.slice(-8000)}`);
    const output = `      <system-out>${observed}</system-out>`;
    if (row.verdict === 'fail') {
      const message = escapeXml(row.mismatches.join('; '));
      return `${open}\n      <failure message="${message}">expected: ${escapeXml(expectedText(row))}\nobserved: ${escapeXml(describeObservation(row.observation))}</failure>\n${output}\n    </testcase>`;
    }
    if (row.verdict === 'no expectation') return `${open}\n      <skipped message="no expectation for ${escapeXml(row.scenario)}"/>\n${output}\n    </testcase>`;
    return `${open}\n${output}\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="broken-mta matrix" tests="${rows.length}" failures="${failures}" skipped="${skipped}" time="${seconds(total)}">`,
    `  <testsuite name="broken-mta.${escapeXml(suite)}" tests="${rows.length}" failures="${failures}" skipped="${skipped}" time="${seconds(total)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
