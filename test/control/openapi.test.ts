// GET /openapi.json held to the server that serves it: every operation it describes is
// called, its answer's status is one it documents and its body validates (ajv, JSON Schema
// 2020-12) against the documented schema; request bodies that the document accepts the
// server accepts, and ones it refuses the server refuses; nothing undocumented answers.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { rawConnect, readUntil, sendWithNodemailer } from '../support/clients.js';
import { startApi, type Api } from './support.js';

type Operation = { requestBody?: { content: Record<string, { schema: object }> }; responses: Record<string, { content: Record<string, { schema?: object }> }> };

interface Example {
  path: string;
  body?: unknown;
  /** A body the document refuses: the server must refuse it too. */
  badBody?: unknown;
  status: number;
}

/** One call per documented operation, in an order that leaves something for the next to find. */
function examples(port: number, spare: number, messageId: number): Record<string, Example> {
  return {
    'GET /healthz': { path: '/healthz', status: 200 },
    'GET /openapi.json': { path: '/openapi.json', status: 200 },
    'GET /ca.pem': { path: '/ca.pem', status: 200 },
    'GET /scenarios': { path: '/scenarios', status: 200 },
    'GET /scenarios/{name}': { path: '/scenarios/weak-dh', status: 200 },
    'GET /listeners': { path: '/listeners', status: 200 },
    'POST /listeners': { path: '/listeners', body: { scenario: 'good' }, badBody: { scenario: 'good', prot: 0 }, status: 201 },
    'GET /listeners/{port}': { path: `/listeners/${port}`, status: 200 },
    'PUT /listeners/{port}': { path: `/listeners/${port}`, body: { scenario: { name: 'inline', summary: 's', imitates: 'i', fixes: ['f'] } }, badBody: { scenario: 7 }, status: 200 },
    'POST /listeners/{port}/next': { path: `/listeners/${port}/next`, body: { scenario: 'greylist', connections: 2 }, badBody: { scenario: 'greylist', connections: 0 }, status: 200 },
    'GET /events': { path: `/events?listener=${port}&since=0&wait=0&limit=5`, status: 200 },
    'GET /events/stream': { path: '/events/stream', status: 200 },
    'GET /messages': { path: `/messages?listener=${port}`, status: 200 },
    'GET /messages/{id}': { path: `/messages/${messageId}`, status: 200 },
    'GET /messages/{id}.eml': { path: `/messages/${messageId}.eml`, status: 200 },
    'DELETE /messages': { path: '/messages', status: 200 },
    'DELETE /listeners/{port}': { path: `/listeners/${spare}`, status: 200 },
  };
}

async function answer(api: Api, method: string, example: Example, body = example.body) {
  if (example.path === '/events/stream') {
    const response = await fetch(api.url + example.path);
    await response.body!.cancel();
    return { status: response.status, type: response.headers.get('content-type')!, json: undefined };
  }
  const got = await api.call(method, example.path, body === undefined ? {} : { body });
  return { status: got.status, type: got.headers.get('content-type')!, json: got.json };
}

describe('GET /openapi.json', () => {
  it('describes exactly the operations the server answers, with the answers it gives', async () => {
    const api = await startApi();
    const document = (await api.call('GET', '/openapi.json')).json;
    expect(document.openapi).toBe('3.1.0');
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(document, 'openapi');
    const port = (await api.call('POST', '/listeners', { body: { scenario: 'groupwise-450' } })).json.port;
    const spare = (await api.call('POST', '/listeners', { body: { scenario: 'good' } })).json.port;
    await sendWithNodemailer({ port, opportunisticTLS: true });
    const messageId = (await api.call('GET', '/messages')).json.messages[0].id;
    const table = examples(port, spare, messageId);
    const operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), operation })),
    );
    expect(operations.map((o) => o.key).sort()).toEqual(Object.keys(table).sort());

    for (const [key, example] of Object.entries(table)) {
      const { method, operation } = operations.find((o) => o.key === key)!;
      const got = await answer(api, method, example);
      expect(got.status, `${key}: ${JSON.stringify(got.json)}`).toBe(example.status);
      const documented = operation.responses[String(got.status)];
      expect(documented, `${key} answers ${got.status}, which the document does not list`).toBeDefined();
      const [type, media] = Object.entries(documented!.content)[0]!;
      expect(got.type.split(';')[0], key).toBe(type);
      if (media.schema && got.json !== undefined) {
        const valid = ajv.validate({ $ref: 'openapi#' + pointerTo(document, media.schema) }, got.json);
        expect(valid, `${key}: ${ajv.errorsText()}`).toBe(true);
      }
      if (example.badBody !== undefined) {
        const schema = operation.requestBody!.content['application/json']!.schema as { $ref: string };
        expect(ajv.validate({ $ref: `openapi${schema.$ref}` }, example.body), `${key}: the document refuses the good body: ${ajv.errorsText()}`).toBe(true);
        expect(ajv.validate({ $ref: `openapi${schema.$ref}` }, example.badBody), `${key}: the document accepts the bad body`).toBe(false);
        const refused = await answer(api, method, example, example.badBody);
        expect(refused.status, `${key} took a body the document refuses: ${JSON.stringify(refused.json)}`).toBe(400);
        expect(ajv.validate({ $ref: 'openapi#/components/schemas/Error' }, refused.json)).toBe(true);
      }
    }
  });

  it('lists every error status a route gives, and undocumented methods and paths get 405 and 404', async () => {
    const api = await startApi();
    const document = (await api.call('GET', '/openapi.json')).json;
    const paths = document.paths as Record<string, Record<string, Operation>>;
    const busy = await rawConnect((await api.call('POST', '/listeners', { body: { scenario: 'good' } })).json.port);
    await readUntil(busy, /^220 /m);
    const port = (await api.call('GET', '/listeners')).json.listeners[0].port;
    const errors: Array<[string, string, number, Promise<{ status: number }>]> = [
      ['post', '/listeners', 409, api.call('POST', '/listeners', { body: { scenario: 'good', port } })],
      ['post', '/listeners', 415, api.call('POST', '/listeners', { body: '{}', headers: { 'content-type': 'text/plain' } })],
      ['post', '/listeners', 413, api.call('POST', '/listeners', { body: JSON.stringify({ scenario: 'x'.repeat(1024 * 1024) }) })],
      ['put', '/listeners/{port}', 404, api.call('PUT', '/listeners/1', { body: { scenario: 'good' } })],
      ['get', '/messages/{id}', 404, api.call('GET', '/messages/999')],
      ['get', '/events', 400, api.call('GET', '/events?wait=-1')],
    ];
    for (const [method, path, status, call] of errors) {
      expect((await call).status, `${method} ${path}`).toBe(status);
      expect(paths[path]![method]!.responses[String(status)], `${method} ${path} ${status}`).toBeDefined();
    }
    busy.destroy();
    expect((await api.call('PATCH', '/listeners')).status).toBe(405);
    expect((await api.call('DELETE', '/scenarios')).headers.get('allow')).toBe('GET');
    expect((await api.call('GET', '/nothing/here')).status).toBe(404);
  });
});

/** The JSON pointer of a schema object inside the document (an inline one is found by identity of content). */
function pointerTo(document: Record<string, unknown>, schema: object): string {
  if ('$ref' in schema) return String((schema as { $ref: string }).$ref).slice(1);
  const found = findPath(document, schema, '');
  if (found === undefined) throw new Error('schema not in the document');
  return found;
}

function findPath(node: unknown, target: object, at: string): string | undefined {
  if (node === target) return at;
  if (typeof node !== 'object' || node === null) return undefined;
  for (const [key, value] of Object.entries(node)) {
    const found = findPath(value, target, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
