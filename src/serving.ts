// The command line's servers: start every scenario asked for (all of them or none), print
// their events, and stop them on SIGINT/SIGTERM, or when stdin closes if asked to.
import { isIP } from 'node:net';
import type { ControlServer } from './control/http.js';
import { HttpError } from './control/http-error.js';
import type { SessionEvent } from './events.js';
import { formatEvent } from './format.js';
import { defaultCertDir, loadScenario, startScenario, type Limits, type RunningScenario } from './index.js';
import { UsageError } from './usage-error.js';

export { UsageError } from './usage-error.js';

export interface ServeFlags {
  host: string;
  hostname: string;
  json?: boolean;
  certs?: string;
  store?: string;
  exitOnStdinClose?: boolean;
  maxMessages: number;
  maxConnections: number;
  maxMessageSize: number;
  idleTimeout: number;
  maxLineLength: number;
  maxRecipients: number;
  maxConnectionsPerClient: number;
  maxSessionTime: number;
  tlsHandshakeTimeout: number;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function checkHost(host: string): void {
  if (!isIP(host) && host !== 'localhost') {
    throw new UsageError(`--host ${host}: give an IP address to listen on (127.0.0.1, ::1, 0.0.0.0)`);
  }
  if (!isLoopback(host)) {
    process.stderr.write(`warning: listening on ${host}: other machines can reach this deliberately broken server\n`);
  }
}

/**
 * Starts each scenario on its port; on any failure, closes those already started. A busy
 * port names the option that chose it (`--port`, or `serve --base-port`).
 */
export async function startAll(plan: Array<{ reference: string; port: number }>, flags: ServeFlags, portOption: '--port' | '--base-port'): Promise<RunningScenario[]> {
  checkHost(flags.host);
  const started: RunningScenario[] = [];
  try {
    for (const { reference, port } of plan) {
      try {
        started.push(await startScenario(reference, startOptions(flags, port, reference)));
      } catch (error) {
        throw listenError(error, flags.host, port, portOption);
      }
    }
  } catch (error) {
    await Promise.all(started.map((running) => running.close()));
    throw error;
  }
  return started;
}

function listenError(error: unknown, host: string, port: number, portOption: '--port' | '--base-port'): Error {
  const code = (error as NodeJS.ErrnoException).code ?? (error instanceof HttpError && error.status === 409 ? 'EADDRINUSE' : undefined);
  if (code === 'EADDRINUSE') {
    const hint = portOption === '--port' ? 'choose another with --port (0 takes a free one)' : 'choose another --base-port (0: each scenario takes a free port)';
    return new Error(`port ${port} on ${host} is in use: ${hint}`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'EACCES') return new Error(`cannot listen on ${host}:${port}: ${code}`);
  return error as Error;
}

function startOptions(flags: ServeFlags, port: number, reference: string): Parameters<typeof startScenario>[1] {
  return {
    host: flags.host,
    port,
    hostname: flags.hostname,
    ...(flags.certs ? { certDir: flags.certs } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    onKeyGeneration: (spec) => process.stderr.write(`${reference}: making its ${spec} key first (up to a minute; the certificate cache keeps it)\n`),
    limits: limitsOf(flags),
  };
}

export function limitsOf(flags: ServeFlags): Partial<Limits> {
  return {
    maxMessages: flags.maxMessages,
    maxConnections: flags.maxConnections,
    maxMessageBytes: flags.maxMessageSize,
    idleTimeoutMs: flags.idleTimeout,
    maxLineBytes: flags.maxLineLength,
    maxRecipients: flags.maxRecipients,
    maxConnectionsPerClient: flags.maxConnectionsPerClient,
    maxSessionMs: flags.maxSessionTime,
    tlsHandshakeTimeoutMs: flags.tlsHandshakeTimeout,
  };
}

/** What runs until a signal: where its events come from, and how it stops. */
export interface Serving {
  caFile: string;
  /** Said once before the events (without --json): where a scenario publishes its CRL. */
  notices?: string[];
  /** Calls `print` for every event from now on; `port` when events carry their listener's. */
  follow(print: (event: SessionEvent & { port?: number }) => void): void;
  close(): Promise<void>;
}

/** The scenarios `startAll` started, as one Serving. */
export function servingScenarios(running: RunningScenario[]): Serving {
  return {
    caFile: running[0]!.caFile,
    // A client checking revocation by hand needs it; its port is chosen at start.
    notices: running.flatMap((server) => (server.crlUrl ? [`${server.scenario.name} publishes its CRL at ${server.crlUrl}`] : [])),
    follow: (print) => {
      for (const server of running) {
        void (async () => {
          for await (const event of server.events) print(event);
        })();
      }
    },
    close: async () => void (await Promise.all(running.map((server) => server.close()))),
  };
}

/**
 * Prints every event as it comes (text lines name the scenario when several run, and the
 * port under --control), then closes everything within 2 s on SIGINT or SIGTERM, or, with
 * --exit-on-stdin-close, when stdin ends: the process that started the server has gone, or said so.
 */
export function runUntilStopped(serving: Serving, flags: ServeFlags, { scenario = true } = {}): void {
  if (!flags.json) {
    process.stderr.write(`trust the test CA with: ${serving.caFile}\n`);
    for (const notice of serving.notices ?? []) process.stderr.write(`${notice}\n`);
  }
  // Lines are gathered and written once per tick: one console.log per event cost a fifth
  // of the CPU under load.
  let pending: string[] = [];
  const flush = () => {
    process.stdout.write(pending.join(''));
    pending = [];
  };
  serving.follow((event) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push((flags.json ? JSON.stringify(event) : formatEvent(event, { scenario, port: event.port })) + '\n');
  });
  let stopping = false;
  const stop = (why: string) => {
    // A second signal means "now".
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`${why}: closing sessions\n`);
    const exit = () => {
      flush();
      process.exit(0);
    };
    // Messages under way get up to closeTimeoutMs (1.5 s) to finish; the process is gone within 2 s.
    const deadline = setTimeout(exit, 1900);
    deadline.unref();
    void serving.close().then(exit);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (flags.exitOnStdinClose) {
    process.stdin.on('end', () => stop('stdin closed'));
    process.stdin.on('error', () => stop('stdin closed'));
    // What comes in is read and dropped: only its end matters.
    process.stdin.resume();
  }
}

/** `--control [HOST:]PORT`: 8025 alone is on loopback; `true` (the flag alone) is 127.0.0.1:8025. */
export function parseControlAddress(value: string | true): { host: string; port: number } {
  const text = value === true ? '8025' : value;
  const found = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d{1,5})$/.exec(text);
  const host = found?.[1] ?? found?.[2] ?? '127.0.0.1';
  const port = Number(found?.[3]);
  if (!found || port > 65535 || (!isIP(host) && host !== 'localhost')) {
    throw new UsageError(`--control ${text}: give [HOST:]PORT, an IP address and a port (8025, 127.0.0.1:8025, [::1]:8025; 0 takes a free port)`);
  }
  return { host, port };
}

export interface ControlFlags {
  address: { host: string; port: number };
  token?: string | undefined;
}

/**
 * serve --control: the control API, and a listener for each scenario asked for, which the
 * API can then change. Loopback unless a token guards it.
 */
export async function startControlled(plan: Array<{ reference: string; port: number }>, flags: ServeFlags, controlFlags: ControlFlags): Promise<{ serving: Serving; control: ControlServer; ports: Record<string, number> }> {
  const { address, token } = controlFlags;
  if (!isLoopback(address.host) && !token) {
    throw new UsageError(`--control ${address.host}:${address.port}: a control port beyond loopback needs --control-token TOKEN (clients send Authorization: Bearer TOKEN)`);
  }
  checkHost(flags.host);
  const scenarios = plan.map(({ reference }) => loadScenario(reference));
  // Loaded here: serving without --control does not load the control API.
  const [{ Control }, { serveControl }] = await Promise.all([import('./control/control.js'), import('./control/http.js')]);
  const control = await Control.start({
    host: flags.host,
    hostname: flags.hostname,
    certDir: flags.certs ?? defaultCertDir(),
    limits: limitsOf(flags),
    ...(flags.store ? { store: flags.store } : {}),
    onGenerate: (profile) => process.stderr.write(`making the ${profile} certificate\n`),
    onKeyGeneration: (spec) => process.stderr.write(`making a ${spec} key first (up to a minute; the certificate cache keeps it)\n`),
  });
  const ports: Record<string, number> = {};
  let server: ControlServer | undefined;
  try {
    for (const [index, scenario] of scenarios.entries()) {
      const port = plan[index]!.port;
      ports[scenario.name] = (await control.startListener(scenario, port).catch((error: unknown) => Promise.reject(listenError(error, flags.host, port, '--base-port')))).port;
    }
    server = await serveControl(control, { ...address, token, onError: (error) => process.stderr.write(`control API: ${error.stack ?? error.message}\n`) }).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new Error(`port ${address.port} on ${address.host} is in use: choose another with --control (0 takes a free one)`);
      if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new Error(`cannot listen on ${address.host}:${address.port} for --control: ${code}`);
      throw error;
    });
  } catch (error) {
    await control.close();
    throw error;
  }
  const running = server;
  return {
    control: running,
    ports,
    serving: {
      caFile: control.caFile,
      follow: (print) => control.bus.subscribe(print),
      close: async () => {
        await running.close();
        await control.close();
      },
    },
  };
}
