// What goes in and out of the control API, as zod schemas: requests are validated with
// them (an inline scenario with the scenario files' own schema), and the OpenAPI document
// is generated from them (openapi.ts).
import { z } from 'zod';
import { SESSION_EVENT_TYPES, type SessionEventType } from '../events.js';
import { scenarioSchema } from '../scenario/schema.js';

const port = z.number().int().min(0).max(65535);
const count = z.number().int().min(0);
const id = z.number().int().min(1);

export const scenarioReference = z.union([z.string().min(1).describe('A catalogue name (GET /scenarios)'), scenarioSchema], {
  error: 'a catalogue name or a scenario object',
});

// --- requests ------------------------------------------------------------------------

export const startListenerBody = z
  .strictObject({
    scenario: scenarioReference,
    port: port.optional().describe('The port to listen on; 0 (the default) takes a free one'),
  })
  .describe('A new listener, on the control server\'s listener address (serve --host)');

export const setScenarioBody = z.strictObject({ scenario: scenarioReference }).describe("The listener's own scenario from now on");

export const nextBody = z
  .strictObject({
    scenario: scenarioReference,
    connections: z.number().int().min(1).max(10_000).default(1).describe('How many of the next connections get it'),
  })
  .describe("The next connections get this scenario (after any queued before), then the listener's own again");

export const portParams = z.strictObject({ port: port.min(1).describe("The listener's port") });
export const nameParams = z.strictObject({ name: z.string().describe('A catalogue name') });
export const messageParams = z.strictObject({ id: id.describe("The message's id") });

export const eventsQuery = z.strictObject({
  listener: port.optional().describe("Only this listener's events (its port)"),
  since: count.default(0).describe('Only events after this id (the `last` of the previous answer)'),
  wait: z.number().int().min(0).max(60_000).default(0).describe('When none has come yet, wait up to this many ms for the first'),
  limit: z.number().int().min(1).max(10_000).default(1000).describe('At most this many events'),
});

export const streamQuery = z.strictObject({
  listener: eventsQuery.shape.listener,
  since: count.optional().describe('Replay the events after this id first (the Last-Event-ID header does the same)'),
});

export const messagesQuery = z.strictObject({ listener: port.optional().describe("Only this listener's messages (its port)") });

// --- responses -----------------------------------------------------------------------

export const errorBody = z.object({ error: z.string().describe('What is wrong, in one line') });

export const health = z.object({ status: z.literal('ok'), listeners: count, lastEvent: count.describe('The id of the newest event (0: none yet)') });

export const scenarioList = z.object({ scenarios: z.array(z.object({ name: z.string(), summary: z.string() })) });

export const listenerInfo = z.object({
  port,
  host: z.string(),
  scenario: z.string().describe("The listener's own scenario: what a connection gets when none is queued"),
  sessions: count.describe('Sessions served so far'),
  open: count.describe('Sessions open now'),
  next: z.array(z.object({ scenario: z.string(), connections: z.number().int().min(1) })).describe('Scenarios queued for the next connections, in order'),
});

export const listenerList = z.object({ listeners: z.array(listenerInfo) });

const eventTypes = SESSION_EVENT_TYPES as [SessionEventType, ...SessionEventType[]];

export const controlEvent = z
  .looseObject({
    id: id.describe('Monotonic across the whole server: ask for events `since` it'),
    port: port.describe("The listener's port"),
    time: z.string(),
    scenario: z.string().describe('The scenario that served the session'),
    session: count.describe('The session, numbered per listener from 1 (0: the listener itself)'),
    type: z.enum(eventTypes),
  })
  .describe("A session event, as serve --json prints it, with the listener's port and an id");

export const eventPage = z.object({
  events: z.array(controlEvent),
  last: count.describe('The id to give as `since` next time'),
  missed: count.describe('Events after `since` that were dropped before they were read (the log keeps the last 10000)'),
});

const messageSummary = z.object({
  id,
  port,
  scenario: z.string(),
  session: count,
  time: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  secure: z.boolean(),
  tls: z.object({ protocol: z.string(), cipher: z.string() }).optional().describe('The TLS session it came over'),
  size: count,
});

export const messageList = z.object({ messages: z.array(messageSummary) });

export const messageDetail = messageSummary.extend({ headers: z.string().describe("The message's header section, as received") });

export const deleted = z.object({ deleted: count });

/** The schemas the OpenAPI document names, by name; what a request carries is described as it is written. */
export const REQUEST_COMPONENTS = { ScenarioInput: scenarioSchema, StartListener: startListenerBody, SetScenario: setScenarioBody, Next: nextBody };
export const RESPONSE_COMPONENTS = {
  Error: errorBody,
  Health: health,
  ScenarioList: scenarioList,
  Scenario: scenarioSchema,
  Listener: listenerInfo,
  ListenerList: listenerList,
  Event: controlEvent,
  EventPage: eventPage,
  MessageList: messageList,
  Message: messageDetail,
  Deleted: deleted,
};
