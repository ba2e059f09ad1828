// The command line's servers: start every scenario asked for (all of them or none), print
// their events, and stop them on SIGINT/SIGTERM, or when stdin closes if asked to.
import { isIP } from 'node:net';
import { formatEvent } from './format.js';
import { startScenario, type RunningScenario } from './index.js';
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

function isLoopback(host: string): boolean {
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
        started.push(await startScenario(reference, startOptions(flags, port)));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') {
          const hint = portOption === '--port' ? 'choose another with --port (0 takes a free one)' : 'choose another --base-port (0: each scenario takes a free port)';
          throw new Error(`port ${port} on ${flags.host} is in use: ${hint}`);
        }
        if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new Error(`cannot listen on ${flags.host}:${port}: ${code}`);
        throw error;
      }
    }
  } catch (error) {
    await Promise.all(started.map((running) => running.close()));
    throw error;
  }
  return started;
}

function startOptions(flags: ServeFlags, port: number): Parameters<typeof startScenario>[1] {
  return {
    host: flags.host,
    port,
    hostname: flags.hostname,
    ...(flags.certs ? { certDir: flags.certs } : {}),
    ...(flags.store ? { store: flags.store } : {}),
    limits: {
      maxMessages: flags.maxMessages,
      maxConnections: flags.maxConnections,
      maxMessageBytes: flags.maxMessageSize,
      idleTimeoutMs: flags.idleTimeout,
      maxLineBytes: flags.maxLineLength,
      maxRecipients: flags.maxRecipients,
      maxConnectionsPerClient: flags.maxConnectionsPerClient,
      maxSessionMs: flags.maxSessionTime,
      tlsHandshakeTimeoutMs: flags.tlsHandshakeTimeout,
    },
  };
}

/**
 * Prints every event as it comes (text lines name the scenario when several run), then
 * closes everything within 2 s on SIGINT or SIGTERM, or, with --exit-on-stdin-close, when
 * stdin ends: the process that started the server has gone, or said so.
 */
export function runUntilStopped(running: RunningScenario[], flags: ServeFlags): void {
  if (!flags.json) process.stderr.write(`trust the test CA with: ${running[0]!.caFile}\n`);
  const scenario = running.length > 1;
  // Lines are gathered and written once per tick: one console.log per event cost a fifth
  // of the CPU under load.
  let pending: string[] = [];
  const flush = () => {
    process.stdout.write(pending.join(''));
    pending = [];
  };
  for (const server of running) {
    void (async () => {
      for await (const event of server.events) {
        if (pending.length === 0) setImmediate(flush);
        pending.push((flags.json ? JSON.stringify(event) : formatEvent(event, { scenario })) + '\n');
      }
    })();
  }
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
    void Promise.all(running.map((server) => server.close())).then(exit);
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
