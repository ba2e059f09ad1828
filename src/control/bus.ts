// Every listener's events in one sequence, each with a monotonic id and its listener's
// port: a client asks for the events after the last id it has seen, so none is read twice
// or missed while it was away (unless the bounded log dropped it, which it is told).
import { EventEmitter } from 'node:events';
import type { SessionEvent } from '../events.js';

export type ControlEvent = { id: number; port: number } & SessionEvent;

export interface EventFilter {
  /** Only this listener's events. */
  listener?: number | undefined;
}

export interface EventPage {
  events: ControlEvent[];
  /** The id to ask `since` next time: the last event looked at, matching or not. */
  last: number;
  /** Events after `since` that the bounded log had already dropped. */
  missed: number;
}

const matches = (event: ControlEvent, filter: EventFilter) => filter.listener === undefined || event.port === filter.listener;

export class EventBus extends EventEmitter {
  private readonly kept: ControlEvent[] = [];
  private newest = 0;

  constructor(private readonly maxEvents = 10_000) {
    super();
    // Every open stream and long poll listens; their number is bounded by the HTTP layer.
    this.setMaxListeners(0);
  }

  publish(port: number, event: SessionEvent): ControlEvent {
    const published = { id: ++this.newest, port, ...event } as ControlEvent;
    this.kept.push(published);
    if (this.kept.length > this.maxEvents) this.kept.shift();
    this.emit('event', published);
    return published;
  }

  /** The id of the newest event; 0 before the first. */
  get lastId(): number {
    return this.newest;
  }

  /** The events after `since` that match, at most `limit` of them. */
  since(since: number, filter: EventFilter = {}, limit = 1000): EventPage {
    const first = this.kept[0]?.id ?? this.newest + 1;
    const missed = Math.max(0, first - since - 1);
    const events: ControlEvent[] = [];
    // Ids are consecutive in the log, so the first one wanted is found by arithmetic.
    for (let index = Math.max(0, since + 1 - first); index < this.kept.length; index++) {
      const event = this.kept[index]!;
      if (!matches(event, filter)) continue;
      events.push(event);
      if (events.length === limit) return { events, last: event.id, missed };
    }
    return { events, last: Math.max(since, this.newest), missed };
  }

  /**
   * As `since`, but when nothing matches yet, waits up to `waitMs` for the first event that
   * does; `abort` (the client went away, the server stops) ends the wait early.
   */
  async wait(since: number, filter: EventFilter, waitMs: number, abort: AbortSignal, limit?: number): Promise<EventPage> {
    const now = this.since(since, filter, limit);
    if (now.events.length > 0 || waitMs === 0 || abort.aborted) return now;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('event', onEvent);
        abort.removeEventListener('abort', done);
        resolve();
      };
      const onEvent = (event: ControlEvent) => matches(event, filter) && done();
      const timer = setTimeout(done, waitMs);
      this.on('event', onEvent);
      abort.addEventListener('abort', done);
    });
    return this.since(since, filter, limit);
  }

  /** Calls `onEvent` for each event from now on, until the returned function is called. */
  subscribe(onEvent: (event: ControlEvent) => void): () => void {
    this.on('event', onEvent);
    return () => this.off('event', onEvent);
  }
}
