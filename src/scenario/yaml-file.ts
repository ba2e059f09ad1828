// A scenario file read and parsed as YAML, server's or sender's alike: an unreadable file or
// a syntax error is a ScenarioError naming file, line and column; `locate` finds the line
// of a path in it, for the schema's errors.
import { readFileSync } from 'node:fs';
import { ScenarioError } from './catalogue.js';
import { loadYaml, locateIn, type Path } from './problems.js';

export interface YamlFile {
  /** The document as plain data; an empty file is an empty map. */
  data: unknown;
  locate(path: Path): { line: number; depth: number };
}

export function readYamlFile(file: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`${file}: cannot read the scenario file: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const { LineCounter, parseDocument } = loadYaml();
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length) {
    const lines = document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `${file}:${line}:${col}: YAML syntax: ${error.message.split('\n')[0]}`;
    });
    throw new ScenarioError(lines.join('\n'));
  }
  return { data: document.toJS() ?? {}, locate: (path) => locateIn(document, lineCounter, path) };
}
