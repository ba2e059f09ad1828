// The rules of ARCHITECTURE.md, held: no import cycles, layers import downward only, no
// file in src/ over 400 lines and no function over 80.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCycles, functionLengths, importGraph, LAYERS, layerOf, lineCount, sourceFiles, SRC, upwardImports } from './support/architecture.js';

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

describe('the shape of src/', () => {
  const files = sourceFiles();
  const graph = importGraph(files);

  it('has no import cycle', () => {
    expect(findCycles(graph).map((cycle) => cycle.map((file) => relative(SRC, file)).join(' -> '))).toEqual([]);
  });

  it('imports downward only: cli, tools, control, api, smtp, scenario, faults, tls, dns, base, vocabulary', () => {
    for (const file of files) layerOf(file);
    expect(upwardImports(graph)).toEqual([]);
  });

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files.filter((file) => lineCount(file) > MAX_FILE_LINES).map((file) => `${relative(SRC, file)}: ${lineCount(file)} lines`);
    expect(long).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = files.flatMap(functionLengths).filter((fn) => fn.lines > MAX_FUNCTION_LINES);
    expect(long.map((fn) => `${fn.file}: ${fn.name} is ${fn.lines} lines`)).toEqual([]);
  });

  it('finds a cycle and an upward import when there is one', () => {
    const [a, b] = [`${SRC}/smtp/a.ts`, `${SRC}/events.ts`];
    const looped = new Map([[a, [b]], [b, [a]]]);
    expect(findCycles(looped)).toHaveLength(1);
    expect(upwardImports(looped)).toEqual(['events.ts -> smtp/a.ts (base -> smtp)']);
  });
});

describe('ARCHITECTURE.md', () => {
  const text = readFileSync(join(SRC, '..', 'ARCHITECTURE.md'), 'utf8');

  it('names only files that exist (in src/, or from the top of the repository)', () => {
    const named = [...new Set([...text.matchAll(/`([\w./-]+\.(?:ts|yaml|json|sh|md))`/g)].map((match) => match[1]!))];
    expect(named.length).toBeGreaterThan(30);
    const missing = named.filter((path) => !path.includes('NAME') && !path.includes('<') && !existsSync(join(SRC, path)) && !existsSync(join(SRC, '..', path)));
    expect(missing).toEqual([]);
  });

  it('has a row for every layer the check knows', () => {
    for (const { name } of LAYERS) expect(text).toContain(`| ${name} |`);
  });
});
