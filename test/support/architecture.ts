// The shape of src/, read with the TypeScript compiler: who imports whom, and how long
// files and functions are. ARCHITECTURE.md states the rules; test/architecture.test.ts
// holds the code to them.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const SRC = resolve(import.meta.dirname, '..', '..', 'src');

/**
 * The layers, top first. A module may import from its own layer and the ones below it,
 * never from one above. The first pattern a path (relative to src/) matches decides.
 * Vocabulary modules import nothing of ours but other vocabulary: anyone may use them.
 */
export const LAYERS: ReadonlyArray<{ name: string; files: RegExp }> = [
  { name: 'cli', files: /^cli\.ts$/ },
  // Claims: the checking, running and printing of them are tools; their vocabulary (the
  // settings, the clients' invocations, the claim schema) sits with the scenario format.
  // The sender's printing and pages are tools too; its client machine is SMTP, its faults faults.
  { name: 'tools', files: /^((matrix|matrix-report|matrix-help|explain|explain-report|format|serving|usage-error|scenario-lookup|dns-command)\.ts|mta-sts\/(domain|serve)\.ts|claims\/(check|observe|run|page|expect-file|docs)\.ts)$|^capture\/|^sender\/(command|page|report|table)\.ts$/ },
  { name: 'control', files: /^control\// },
  { name: 'api', files: /^(index|store|domain)\.ts$/ },
  { name: 'vocabulary', files: /^(limits|defaults|smtp\/(steps|reply|reply-setting|types)|tls\/(alerts|alert-setting))\.ts$/ },
  { name: 'smtp', files: /^smtp\/|^sender\/(?!faults\/)/ },
  { name: 'scenario', files: /^(scenario|claims)\// },
  { name: 'faults', files: /^(sender\/)?faults\// },
  { name: 'tls', files: /^tls\// },
  // DNS test zones (Knot and unbound): below everything that serves a scenario, above nothing but base.
  { name: 'dns', files: /^dns\// },
  { name: 'base', files: /^(certs\/|mta-sts\/|events\.ts$|dirs\.ts$|suggest\.ts$)/ },
];

/** Vocabulary sits in its own folder's place in the listing, but below everything. */
const ORDER = ['cli', 'tools', 'control', 'api', 'smtp', 'scenario', 'faults', 'tls', 'dns', 'base', 'vocabulary'];

export function layerOf(file: string): string {
  const path = relative(SRC, file);
  const layer = LAYERS.find((candidate) => candidate.files.test(path));
  if (!layer) throw new Error(`${path} is in no layer: add it to LAYERS in test/support/architecture.ts and to ARCHITECTURE.md`);
  return layer.name;
}

export function rank(layer: string): number {
  return ORDER.indexOf(layer);
}

export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of every file in src/, type-only ones included: a type is knowledge too. */
export function importGraph(files = sourceFiles()): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles
      .map((imported) => imported.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The import cycles, each as a list of files that leads back to its first. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

/** Imports that go up the layers: "from -> to (layer -> layer)". */
export function upwardImports(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const [from, to] = [layerOf(file), layerOf(target)];
      if (rank(to) < rank(from)) found.push(`${relative(SRC, file)} -> ${relative(SRC, target)} (${from} -> ${to})`);
    }
  }
  return found;
}

export interface Measured {
  file: string;
  name: string;
  lines: number;
}

/** Every function, method, accessor and arrow function with its length in lines. */
export function functionLengths(file: string): Measured[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Measured[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : `(anonymous at line ${start + 1})`;
      found.push({ file: relative(SRC, file), name, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export function lineCount(file: string): number {
  return readFileSync(file, 'utf8').split('\n').length - 1;
}
