// GET /openapi.json: an OpenAPI 3.1 document generated from the routes and their zod
// schemas (z.toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 takes it), so it cannot
// drift from what the server validates. test/control/openapi.test.ts holds it to the routes.
import { z } from 'zod';
import { ok, route, ROUTES, type Route } from './routes.js';
import { REQUEST_COMPONENTS, RESPONSE_COMPONENTS } from './schemas.js';

type JsonObject = Record<string, unknown>;

const REF = '#/components/schemas/';

/** Every schema the document names, each once; requests as written (io: input), responses as sent. */
function components(): { schemas: JsonObject; names: Map<z.ZodType, string>; requestNames: Map<z.ZodType, string> } {
  const convert = (named: Record<string, z.ZodType>, io: 'input' | 'output') => {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
    const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => REF + id });
    return schemas as JsonObject;
  };
  const schemas = { ...convert(RESPONSE_COMPONENTS, 'output'), ...convert(REQUEST_COMPONENTS, 'input') };
  // Each is a component, not a document: no $schema, and no $id (a fragment is no id in 2020-12).
  for (const schema of Object.values(schemas)) {
    delete (schema as JsonObject).$schema;
    delete (schema as JsonObject).$id;
  }
  const byValue = (named: Record<string, z.ZodType>) => new Map(Object.entries(named).map(([id, schema]) => [schema, id]));
  return { schemas, names: byValue(RESPONSE_COMPONENTS), requestNames: byValue(REQUEST_COMPONENTS) };
}

function inline(schema: z.ZodType): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  return rest;
}

function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined): JsonObject[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const described = inline(field as z.ZodType);
    const { description, ...rest } = described;
    return { name, in: where, required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success, ...(description ? { description } : {}), schema: rest };
  });
}

const ERROR_REASONS: Record<number, string> = {
  400: 'The body or a query parameter is wrong; `error` names the field',
  401: 'No valid bearer token (--control-token)',
  404: 'No such listener, scenario or message',
  409: 'The port is in use, or too many listeners run (256), or too many scenarios are queued (100)',
  413: 'The body is over 1 MiB',
  415: 'The body is not application/json',
  503: 'Too many clients are waiting for events already',
};

function operation(spec: Route, names: Map<z.ZodType, string>, requestNames: Map<z.ZodType, string>): JsonObject {
  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    const name = response.json && names.get(response.json);
    const schema = response.json ? (name ? { $ref: REF + name } : inline(response.json)) : undefined;
    responses[status] = { description: response.description, content: { [response.content ?? 'application/json']: schema ? { schema } : {} } };
  }
  const errors = [401, ...(spec.body || spec.query ? [400] : []), ...(spec.params ? [404] : []), ...(spec.body ? [413, 415] : []), ...(spec.method === 'POST' && spec.path.startsWith('/listeners') ? [409] : []), ...(spec.path.startsWith('/events') ? [503] : [])];
  for (const status of errors) responses[status] = { description: ERROR_REASONS[status], content: { 'application/json': { schema: { $ref: `${REF}Error` } } } };
  return {
    summary: spec.summary,
    operationId: `${spec.method.toLowerCase()}${spec.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    parameters: [...parameters('path', spec.params), ...parameters('query', spec.query)],
    ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: REF + requestNames.get(spec.body)! } } } } } : {}),
    responses,
  };
}

let built: JsonObject | undefined;

export function openApiDocument(): JsonObject {
  if (built) return built;
  const { schemas, names, requestNames } = components();
  const paths: Record<string, JsonObject> = {};
  for (const spec of CONTROL_ROUTES) (paths[spec.path] ??= {})[spec.method.toLowerCase()] = operation(spec, names, requestNames);
  built = {
    openapi: '3.1.0',
    info: {
      title: 'broken-mta control API',
      version: '1',
      description: 'Drive a running broken-mta (serve --control) from a test suite in any language: start listeners, change their scenario, read events and messages.',
    },
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required when the server was given --control-token' } } },
    security: [{}, { bearer: [] }],
    paths,
  };
  return built;
}

export const openApiRoute = route({
  method: 'GET',
  path: '/openapi.json',
  summary: 'This description of the API (OpenAPI 3.1)',
  responses: ok('The OpenAPI document', z.looseObject({ openapi: z.literal('3.1.0') })),
  handle: () => ({ json: openApiDocument() }),
});

/** Every operation the server answers. */
export const CONTROL_ROUTES: Route[] = [...ROUTES, openApiRoute];
