// The control API, one entry per operation: its method and path, the schemas of what it
// takes and answers (the OpenAPI document is generated from these), and what it does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Control } from './control.js';
import { HttpError } from './http-error.js';
import { summary } from './messages.js';
import * as s from './schemas.js';
import { streamEvents } from './stream.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type Reply =
  | { status?: number; json: unknown }
  | { status?: number; contentType: string; body: string | Buffer }
  /** The handler wrote the response itself (a stream). */
  | { streamed: true };

export interface RouteInput<P extends z.ZodObject, Q extends z.ZodObject, B extends z.ZodObject> {
  control: Control;
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  /** Aborted when the client goes away or the server stops. */
  signal: AbortSignal;
  request: IncomingMessage;
  response: ServerResponse;
}

export interface ResponseSpec {
  description: string;
  json?: z.ZodType;
  /** A content type other than JSON, and no schema. */
  content?: string;
}

export interface Route<P extends z.ZodObject = z.ZodObject, Q extends z.ZodObject = z.ZodObject, B extends z.ZodObject = z.ZodObject> {
  method: Method;
  /** As OpenAPI writes it: /listeners/{port}. */
  path: string;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  handle(input: RouteInput<P, Q, B>): Reply | Promise<Reply>;
}

const none = z.strictObject({});

export function route<P extends z.ZodObject = typeof none, Q extends z.ZodObject = typeof none, B extends z.ZodObject = typeof none>(spec: Route<P, Q, B>): Route {
  return spec as unknown as Route;
}

export const ok = (description: string, json: z.ZodType): Record<number, ResponseSpec> => ({ 200: { description, json } });

/** The header section of a message, for a test to assert on (the .eml has the rest). */
function headersOf(raw: Buffer): string {
  const text = raw.subarray(0, 65536).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

export const ROUTES: Route[] = [
  route({
    method: 'GET',
    path: '/healthz',
    summary: 'Whether the server is up',
    responses: ok('It is', s.health),
    handle: ({ control }) => ({ json: { status: 'ok', listeners: control.listenerInfos().length, lastEvent: control.bus.lastId } }),
  }),
  route({
    method: 'GET',
    path: '/ca.pem',
    summary: "The test CA's certificate: what a client must trust to verify the `valid` certificates",
    responses: { 200: { description: 'PEM', content: 'application/x-pem-file' } },
    handle: ({ control }) => ({ contentType: 'application/x-pem-file', body: control.caCertificate }),
  }),
  route({
    method: 'GET',
    path: '/scenarios',
    summary: 'The catalogue: name and summary of each scenario',
    responses: ok('The catalogue', s.scenarioList),
    handle: ({ control }) => ({ json: { scenarios: control.scenarios() } }),
  }),
  route({
    method: 'GET',
    path: '/scenarios/{name}',
    summary: "A scenario's page: what it imitates, its symptoms, its fixes and its behaviour",
    params: s.nameParams,
    responses: ok('The scenario, as its file says it with the defaults filled in', s.RESPONSE_COMPONENTS.Scenario),
    handle: ({ control, params }) => ({ json: control.scenario(params.name) }),
  }),
  route({
    method: 'GET',
    path: '/listeners',
    summary: 'Every listener: port, scenario, sessions served and open, scenarios queued',
    responses: ok('The listeners', s.listenerList),
    handle: ({ control }) => ({ json: { listeners: control.listenerInfos() } }),
  }),
  route({
    method: 'POST',
    path: '/listeners',
    summary: 'Start a listener',
    body: s.startListenerBody,
    responses: { 201: { description: 'Listening; the answer names its port', json: s.listenerInfo } },
    handle: async ({ control, body }) => ({ status: 201, json: (await control.startListener(control.resolve(body.scenario), body.port)).info() }),
  }),
  route({
    method: 'GET',
    path: '/listeners/{port}',
    summary: 'One listener',
    params: s.portParams,
    responses: ok('The listener', s.listenerInfo),
    handle: ({ control, params }) => ({ json: control.listener(params.port).info() }),
  }),
  route({
    method: 'PUT',
    path: '/listeners/{port}',
    summary: "Change the listener's own scenario: new connections get it, sessions already open keep theirs",
    params: s.portParams,
    body: s.setScenarioBody,
    responses: ok('The listener, changed', s.listenerInfo),
    handle: async ({ control, params, body }) => {
      const listener = control.listener(params.port);
      await listener.setScenario(control.resolve(body.scenario));
      return { json: listener.info() };
    },
  }),
  route({
    method: 'DELETE',
    path: '/listeners/{port}',
    summary: 'Stop a listener: open sessions get 421 4.3.2 and the port is free when this answers',
    params: s.portParams,
    responses: ok('The listener as it was when it stopped', s.listenerInfo),
    handle: async ({ control, params }) => ({ json: await control.stopListener(params.port) }),
  }),
  route({
    method: 'POST',
    path: '/listeners/{port}/next',
    summary: "The next N connections get a scenario, then the listener's own again (fail twice, then succeed)",
    params: s.portParams,
    body: s.nextBody,
    responses: ok('The listener, with the scenario queued', s.listenerInfo),
    handle: async ({ control, params, body }) => {
      const listener = control.listener(params.port);
      await listener.queueNext(control.resolve(body.scenario), body.connections);
      return { json: listener.info() };
    },
  }),
  route({
    method: 'GET',
    path: '/events',
    summary: 'The events after an id, waiting up to `wait` ms for the first when none has come yet (long poll)',
    query: s.eventsQuery,
    responses: ok('The events, oldest first', s.eventPage),
    handle: async ({ control, query, signal }) => ({ json: await control.bus.wait(query.since, { listener: query.listener }, query.wait, signal, query.limit) }),
  }),
  route({
    method: 'GET',
    path: '/events/stream',
    summary: 'The same events as Server-Sent Events: `id:` is the event id, `data:` the event as JSON',
    query: s.streamQuery,
    responses: { 200: { description: 'An event stream that stays open', content: 'text/event-stream' } },
    handle: ({ control, query, request, response, signal }) => {
      const lastEventId = Number(request.headers['last-event-id']);
      const since = query.since ?? (Number.isSafeInteger(lastEventId) && lastEventId >= 0 ? lastEventId : control.bus.lastId);
      streamEvents(control.bus, response, since, { listener: query.listener }, signal);
      return { streamed: true };
    },
  }),
  route({
    method: 'GET',
    path: '/messages',
    summary: 'The messages received, oldest first: envelope and TLS state',
    query: s.messagesQuery,
    responses: ok('The messages', s.messageList),
    handle: ({ control, query }) => ({ json: { messages: control.messages.list(query.listener) } }),
  }),
  route({
    method: 'DELETE',
    path: '/messages',
    summary: 'Forget every message received (ids go on)',
    responses: ok('How many were forgotten', s.deleted),
    handle: ({ control }) => ({ json: { deleted: control.messages.clear() } }),
  }),
  route({
    method: 'GET',
    path: '/messages/{id}.eml',
    summary: 'A message as received (RFC 5322)',
    params: s.messageParams,
    responses: { 200: { description: 'The message', content: 'message/rfc822' } },
    handle: ({ control, params }) => ({ contentType: 'message/rfc822', body: findMessage(control, params.id).raw }),
  }),
  route({
    method: 'GET',
    path: '/messages/{id}',
    summary: "A message's envelope, TLS state and header section",
    params: s.messageParams,
    responses: ok('The message', s.messageDetail),
    handle: ({ control, params }) => {
      const message = findMessage(control, params.id);
      return { json: { ...summary(message), headers: headersOf(message.raw) } };
    },
  }),
];

function findMessage(control: Control, id: number) {
  const found = control.messages.get(id);
  if (!found) throw new HttpError(404, `no message ${id} (GET /messages lists those kept)`);
  return found;
}
