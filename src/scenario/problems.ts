// What is wrong with a scenario, as the user should read it: one line per problem, every
// problem at once, each `file:line: field: message`, with "did you mean" for a misspelt
// key or value.
import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { z } from 'zod';
import { FAULTS } from '../faults/registry.js';
import { closest } from '../suggest.js';
import { scenarioSchema } from './schema.js';

export type Path = readonly PropertyKey[];

/**
 * yaml, loaded the first time a file is read or located: a catalogue scenario comes from
 * the built data (catalogue.ts), and nothing that serves it needs a YAML parser.
 */
export const loadYaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml');

/** Where a path is: `file:line`, and how many of its keys that file has (the deepest wins). */
export interface Location {
  where: string;
  depth: number;
}

type Issue = z.core.$ZodIssue;

/** The schema a file is checked against, and the faults it may name: a server's, or a sender's. */
export interface Vocabulary {
  schema: z.ZodType;
  faults: readonly string[];
}

const SERVER_VOCABULARY: Vocabulary = { schema: scenarioSchema, faults: FAULTS.map((fault) => fault.name) };

/** One line per problem, ordered as the file is. */
export function describeIssues(issues: readonly Issue[], data: unknown, locate: (path: Path) => Location, vocabulary = SERVER_VOCABULARY): string[] {
  const lines = issues.flatMap((issue) => {
    const specific = mostSpecificIssue([issue]);
    if (specific.code === 'unrecognized_keys') {
      const known = keysAt(specific.path, data, vocabulary.schema);
      return specific.keys.map((key) => ({ path: [...specific.path, key], message: `unknown key "${key}"${suggestion(key, known)}` }));
    }
    return [{ path: specific.path, message: issueMessage(specific, valueAt(data, specific.path), vocabulary.faults) }];
  });
  const located = lines.map(({ path, message }) => ({ where: locate(path).where, text: `${describePath(path)}: ${message}` }));
  const order = (where: string) => Number(/:(\d+)$/.exec(where)?.[1] ?? 0);
  located.sort((a, b) => order(a.where) - order(b.where));
  return [...new Set(located.map(({ where, text }) => `${where}: ${text}`))];
}

// A union failure lists what every branch disliked; the deepest path is the one that
// tells the user which key to fix.
export function mostSpecificIssue(issues: readonly Issue[]): Issue {
  const flatten = (issue: Issue): Issue[] =>
    issue.code === 'invalid_union' && issue.errors.length > 0
      ? issue.errors.flat().map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }) as Issue).flatMap(flatten)
      : [issue];
  const all = issues.flatMap(flatten);
  return all.reduce((best, issue) => (issue.path.length > best.path.length ? issue : best), all[0]!);
}

function issueMessage(issue: Issue, value: unknown, faults: readonly string[]): string {
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const known = faults;
    return `unknown ${String(issue.discriminator)}${typeof value === 'string' ? suggestion(value, known) : ''} (known: ${known.join(', ')})`;
  }
  if (issue.code === 'invalid_value' && issue.values.length > 0) {
    const known = issue.values.filter((v): v is string => typeof v === 'string');
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${typeof value === 'string' ? suggestion(value, known) : ''}`;
  }
  return issue.message;
}

function suggestion(word: string, known: readonly string[]): string {
  const found = closest(word, known);
  return found === undefined || found === word ? '' : ` (did you mean "${found}"?)`;
}

export function describePath(path: Path): string {
  return path.length ? path.map(String).join('.') : '(top level)';
}

function valueAt(data: unknown, path: Path): unknown {
  return path.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined), data);
}

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  const?: unknown;
}

const jsonSchemas = new Map<z.ZodType, JsonSchema>();

/**
 * The keys a map at `path` may have, from the schema editors read (scenarios/schema.json):
 * of a fault entry, those of the fault it names.
 */
function keysAt(path: Path, data: unknown, schema: z.ZodType): string[] {
  let jsonSchema = jsonSchemas.get(schema);
  if (!jsonSchema) jsonSchemas.set(schema, (jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema));
  const branches = (node: JsonSchema): JsonSchema[] => [node, ...[...(node.anyOf ?? []), ...(node.oneOf ?? [])].flatMap(branches)];
  let nodes = [jsonSchema];
  for (const key of path) {
    nodes = nodes.flatMap(branches).flatMap((node) => {
      if (typeof key === 'number') return node.items ? [node.items] : [];
      const next = node.properties?.[String(key)] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
      return next ? [next] : [];
    });
  }
  const value = valueAt(data, path) as Record<string, unknown> | undefined;
  const maps = nodes.flatMap(branches).filter((node) => node.properties);
  const chosen = maps.filter((node) => Object.entries(node.properties!).every(([key, property]) => property.const === undefined || value?.[key] === property.const));
  return [...new Set((chosen.length ? chosen : maps).flatMap((node) => Object.keys(node.properties!)))];
}

/** The line of the deepest key or value the path still reaches, and how deep that is. */
export function locateIn(document: Document, lineCounter: LineCounter, path: Path): { line: number; depth: number } {
  const { isMap, isNode, isScalar } = loadYaml();
  for (let depth = path.length; depth > 0; depth--) {
    const parent = document.getIn(path.slice(0, depth - 1) as unknown[], true) ?? (depth === 1 ? document.contents : undefined);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[depth - 1]);
      if (pair && isNode(pair.key) && pair.key.range) return { line: lineCounter.linePos(pair.key.range[0]).line, depth };
    }
    const node = document.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return { line: lineCounter.linePos(node.range[0]).line, depth };
  }
  return { line: 1, depth: 0 };
}
