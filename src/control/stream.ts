// GET /events/stream: Server-Sent Events. Each event goes out as `id: N` and `data: JSON`,
// so a client that reconnects with Last-Event-ID misses nothing the log still holds. A
// client that stops reading is dropped once 1 MiB waits for it: memory stays bounded, and
// it can reconnect from the last id it saw.
import type { ServerResponse } from 'node:http';
import type { ControlEvent, EventBus, EventFilter } from './bus.js';

const MAX_UNREAD_BYTES = 1024 * 1024;
const KEEP_ALIVE_MS = 15_000;

export function streamEvents(bus: EventBus, response: ServerResponse, since: number, filter: EventFilter, signal: AbortSignal): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  response.write(': broken-mta events\n\n');
  const send = (event: ControlEvent) => {
    if (response.writableEnded || (filter.listener !== undefined && event.port !== filter.listener)) return;
    response.write(`id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
    if (response.writableLength > MAX_UNREAD_BYTES) end();
  };
  // The past and the subscription in the same tick: no event falls between them.
  const past = bus.since(since, filter, Number.MAX_SAFE_INTEGER).events;
  const unsubscribe = bus.subscribe(send);
  const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  const end = () => {
    unsubscribe();
    clearInterval(keepAlive);
    signal.removeEventListener('abort', end);
    if (!response.writableEnded) response.end();
  };
  signal.addEventListener('abort', end);
  if (signal.aborted) return end();
  for (const event of past) send(event);
}
