// A request's body, query and path, checked by their schemas (schemas.ts): a 400 whose one
// line names the field. An inline scenario's errors are the scenario files' own
// (`inline scenario: faults.0.reply: ...`), since it is the same schema and loader.
import type { z } from 'zod';
import { didYouMean } from '../suggest.js';
import { isRecord } from './control.js';
import { clip, HttpError } from './http-error.js';

type Issue = z.core.$ZodIssue;

/** `resolveScenario` turns a body's `scenario` into a scenario, or throws the loader's 400. */
export function parseBody<S extends z.ZodObject>(schema: S, body: unknown, resolveScenario: (reference: unknown) => unknown): z.output<S> {
  if (!isRecord(body)) throw new HttpError(400, 'the body must be a JSON object');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  // The scenario loader says best what is wrong with a scenario object.
  if (isRecord(body.scenario) && result.error.issues.some((issue) => issue.path[0] === 'scenario')) resolveScenario(body.scenario);
  throw new HttpError(400, describe(result.error.issues[0]!, Object.keys(schema.shape)));
}

/** Query parameters are numbers here, each given once. */
export function parseQuery<S extends z.ZodObject>(schema: S, query: URLSearchParams): z.output<S> {
  const values: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    if (all.length > 1) throw new HttpError(400, `${clip(key)}: given ${all.length} times; give it once`);
    values[key] = wholeNumber(all[0]!) ?? all[0];
  }
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  throw new HttpError(400, describe(result.error.issues[0]!, Object.keys(schema.shape), 'query parameter'));
}

/** Path parameters: numbers where the schema wants them; a mismatch is a resource that is not there. */
export function parsePath<S extends z.ZodObject>(schema: S, params: Record<string, string>): z.output<S> {
  const values = Object.fromEntries(Object.entries(params).map(([key, value]) => [key, wholeNumber(value) ?? value]));
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new HttpError(404, `${issue.path.join('.')} "${clip(params[String(issue.path[0])] ?? '')}": ${issue.message}`);
}

function wholeNumber(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

function describe(issue: Issue, known: string[], what = 'field'): string {
  if (issue.code === 'unrecognized_keys') {
    const [first] = issue.keys;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return `${where}unknown ${what}${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${clip(key)}"`).join(', ')}${issue.path.length ? '' : didYouMean(first ?? '', known)}`;
  }
  return `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`;
}
