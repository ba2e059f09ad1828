// A port whose scenario can change while it runs. The listener owns the TCP port and hands
// each connection it accepts to the server of the scenario chosen for that connection:
// the next ones queued (`next`), else its own. Those servers bind no port of their own
// (serveScenario with listen: false); a session keeps the server it was handed to, so a
// change of scenario never touches the sessions already open. A server no longer chosen
// is closed once its last session has ended.
import { createServer, type Server, type Socket } from 'node:net';
import type { Scenario } from '../scenario/schema.js';
import type { ScenarioServer } from '../smtp/server.js';
import { HttpError } from './http-error.js';

export const MAX_QUEUED = 100;

/** Makes a scenario's server for a listener's port, numbering sessions as the listener says. */
export type ServeForPort = (scenario: Scenario, port: number, nextSessionNumber: () => number) => Promise<ScenarioServer>;

export interface ListenerInfo {
  port: number;
  host: string;
  /** The listener's own scenario: what a connection gets when none is queued. */
  scenario: string;
  /** Sessions served so far, whichever scenario served them. */
  sessions: number;
  /** Sessions open now. */
  open: number;
  /** Scenarios queued for the next connections, in order, with the connections each has left. */
  next: Array<{ scenario: string; connections: number }>;
}

interface Served {
  server: ScenarioServer;
  open: number;
}

export class Listener {
  private sessions = 0;
  private own: Served | undefined;
  private readonly queue: Array<{ served: Served; remaining: number }> = [];
  /** Every server not yet closed: the own one, the queued ones, and retired ones with sessions open. */
  private readonly live = new Set<Served>();
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly tcp: Server,
    readonly host: string,
    readonly port: number,
    private readonly serve: ServeForPort,
    private readonly warn: (port: number, text: string) => void,
  ) {}

  /** Listens on host:port (0: a free port), then serves `scenario` there. */
  static async open(host: string, port: number, scenario: Scenario, serve: ServeForPort, warn: (port: number, text: string) => void): Promise<Listener> {
    let listener: Listener | undefined;
    // A connection before the listener has its scenario's server is refused, as one before listening would be.
    const tcp = createServer((socket) => (listener?.own ? listener.hand(socket) : socket.destroy()));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host, port }, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    const opened = new Listener(tcp, host, (tcp.address() as { port: number }).port, serve, warn);
    listener = opened;
    // Past listening, an error (EMFILE on accept) must not take the process down.
    tcp.on('error', (error) => warn(opened.port, `listener ${host}:${opened.port}: ${error.message}`));
    try {
      opened.own = await opened.start(scenario);
    } catch (error) {
      tcp.close();
      throw error;
    }
    return opened;
  }

  get scenario(): Scenario {
    return this.own!.server.scenario;
  }

  /** New connections get `scenario`; sessions already open keep theirs. */
  async setScenario(scenario: Scenario): Promise<void> {
    const served = await this.start(scenario);
    const old = this.own!;
    this.own = served;
    this.retireIfDone(old);
  }

  /** The next `connections` connections get `scenario` (after any queued before), then the listener's own again. */
  async queueNext(scenario: Scenario, connections: number): Promise<void> {
    // Each queued scenario is a server in memory: the queue is bounded.
    if (this.queue.length >= MAX_QUEUED) throw new HttpError(409, `${MAX_QUEUED} scenarios are queued on port ${this.port} already; let connections use them first`);
    this.queue.push({ served: await this.start(scenario), remaining: connections });
  }

  info(): ListenerInfo {
    let open = 0;
    for (const served of this.live) open += served.open;
    return {
      port: this.port,
      host: this.host,
      scenario: this.scenario.name,
      sessions: this.sessions,
      open,
      next: this.queue.map(({ served, remaining }) => ({ scenario: served.server.scenario.name, connections: remaining })),
    };
  }

  /**
   * Stops accepting; open sessions get 421 4.3.2 (one in the middle of a message may
   * finish it first, within limits.closeTimeoutMs) and the port is free when this resolves.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const portClosed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
      await Promise.all([...this.live].map((served) => served.server.close()));
      // Whatever a server could not reach (a socket between hand-over and session) goes now.
      for (const socket of this.sockets) socket.destroy();
      this.live.clear();
      this.queue.length = 0;
      await portClosed;
    })();
    return this.closing;
  }

  private async start(scenario: Scenario): Promise<Served> {
    if (this.closing) throw new Error(`the listener on port ${this.port} is closing`);
    const served: Served = { server: await this.serve(scenario, this.port, () => ++this.sessions), open: 0 };
    this.live.add(served);
    return served;
  }

  private hand(socket: Socket): void {
    if (this.closing) return void socket.destroy();
    const turn = this.queue[0];
    const served = turn ? turn.served : this.own!;
    if (turn && --turn.remaining === 0) this.queue.shift();
    served.open++;
    this.sockets.add(socket);
    // The session's end, not the socket's: a socket TLS has taken over never says it closed.
    void served.server
      .accept(socket)
      .catch((error: Error) => {
        this.warn(this.port, `a connection could not be served: ${error.message}`);
        socket.destroy();
      })
      .then(() => {
        served.open--;
        this.sockets.delete(socket);
        this.retireIfDone(served);
      });
  }

  /** Closes a server that is neither chosen nor queued once its last session has ended. */
  private retireIfDone(served: Served): void {
    if (this.closing || served === this.own || served.open > 0 || this.queue.some((turn) => turn.served === served)) return;
    this.live.delete(served);
    void served.server.close();
  }
}
