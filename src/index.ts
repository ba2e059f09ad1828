// The programmatic API, for test suites:
//
//   const mta = await startScenario('expired-cert');          // port 0: a free port
//   ... point the client at mta.host:mta.port, trusting mta.caFile ...
//   await mta.waitFor((e) => e.type === 'tls-failed');
//   await mta.close();
import { CertificateCache } from './certs/cache.js';
import { TlsSource } from './certs/serving.js';
import { DEFAULT_HOST, DEFAULT_HOSTNAME, defaultCertDir } from './defaults.js';
import { EventLog, type SessionEvent, type SessionEventInput } from './events.js';
import { catalogueNames, loadScenarioWithFile, parseScenarioObject } from './scenario/load.js';
import type { Scenario, ScenarioInput } from './scenario/schema.js';
import type { Limits } from './limits.js';
import { serveScenario } from './smtp/server.js';
import type { CapturedMessage } from './smtp/types.js';
import { MessageStore } from './store.js';
import type { SenderReference, StartSenderOptions } from './sender/start.js';
import type { SendResult } from './sender/run.js';

export type { SessionEvent, SessionEventType } from './events.js';
export type { Scenario, ScenarioInput } from './scenario/schema.js';
export type { Limits } from './limits.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { CapturedMessage } from './smtp/types.js';
export { ScenarioError } from './scenario/load.js';
export { CertificateCache } from './certs/cache.js';
export type { SendResult } from './sender/run.js';
export type { SendOutcome } from './sender/outcome.js';
export type { SenderReference, StartSenderOptions } from './sender/start.js';
export type { SenderScenario, SenderScenarioInput } from './scenario/sender-schema.js';
export { SendError } from './sender/session.js';
export { DEFAULT_HOST, DEFAULT_HOSTNAME, defaultCertDir } from './defaults.js';

/** A catalogue name, a path to a scenario file, or a scenario object. */
export type ScenarioReference = string | ScenarioInput;

export function loadScenario(reference: ScenarioReference): Scenario {
  return typeof reference === 'string' ? loadScenarioWithFile(reference).scenario : parseScenarioObject(reference);
}

export function listScenarios(): Array<Pick<Scenario, 'name' | 'summary'>> {
  return catalogueNames().map((name) => {
    const { name: scenarioName, summary } = loadScenarioWithFile(name).scenario;
    return { name: scenarioName, summary };
  });
}

export interface StartOptions {
  host?: string;
  /** 0 (the default) takes a free port. */
  port?: number;
  hostname?: string;
  certDir?: string;
  limits?: Partial<Limits>;
  /** A folder to write every message to (.eml, plus messages.jsonl). */
  store?: string;
  /** Called before a key is made for the scenario's certificate (an RSA-8192 key can take a minute). */
  onKeyGeneration?: (spec: string) => void;
}

export interface WaitOptions {
  timeoutMs?: number;
}

export interface RunningScenario {
  host: string;
  port: number;
  scenario: Scenario;
  /** The test CA's certificate file: what a client must trust to verify `valid` certs. */
  caFile: string;
  /** The CRL this scenario publishes on loopback, where its certificate names a distribution point (`revoked`). */
  crlUrl?: string;
  /** Every event so far, and, iterated with `for await`, the ones still to come. */
  events: SessionEvent[] & AsyncIterable<SessionEvent>;
  /** The messages received, newest last (at most limits.maxMessages, 1000 by default). */
  messages: CapturedMessage[];
  /** How many sessions have been served so far. */
  readonly sessions: number;
  /** How many are open right now. */
  readonly openSessions: number;
  /** The first event, past or future, that matches; rejects after timeoutMs (5 s). */
  waitFor(predicate: (event: SessionEvent) => boolean, options?: WaitOptions): Promise<SessionEvent>;
  /** Ends every session, writes out what --store still holds, and frees the port. */
  close(): Promise<void>;
}

export async function startScenario(reference: ScenarioReference, options: StartOptions = {}): Promise<RunningScenario> {
  const scenario = loadScenario(reference);
  const hostname = options.hostname ?? DEFAULT_HOSTNAME;
  // The cheap check first: a store that cannot be written fails before any certificate is made.
  const store = options.store ? new MessageStore(options.store) : undefined;
  const cache = new CertificateCache(options.certDir ?? defaultCertDir(), hostname);
  const host = options.host ?? DEFAULT_HOST;
  const log = new EventLog();
  const record = (event: SessionEventInput & { session?: number }) => log.record({ time: new Date().toISOString(), scenario: scenario.name, session: 0, ...event } as SessionEvent);
  const source = new TlsSource(cache, { host, onRevocationRequest: (request) => record({ type: 'revocation-request', ...request }), onKeyGeneration: options.onKeyGeneration });
  const serve = async () => {
    const tls = scenario.tls ? await source.material(scenario.tls) : undefined;
    const caCertificate = scenario.tls?.clientCert ? (await cache.ensureCa()).cert : undefined;
    const server = await serveScenario(scenario, {
      host,
      port: options.port ?? 0,
      hostname,
      events: log,
      ...(tls ? { tls } : {}),
      ...(caCertificate ? { caCertificate } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(store ? { onMessage: (message: CapturedMessage) => store.save(scenario.name, message, (error) => record({ session: message.session, type: 'warning', text: `--store: ${error.message}` })) } : {}),
    });
    return { server, crlUrl: tls?.crlUrl };
  };
  // A CRL server started for the certificate goes with a scenario that could not start.
  const { server, crlUrl } = await serve().catch(async (error: unknown) => {
    await source.close();
    throw error;
  });
  const events = Object.assign(log.events, { [Symbol.asyncIterator]: () => log[Symbol.asyncIterator]() });
  return {
    host: server.host,
    port: server.port,
    scenario,
    caFile: cache.caFile,
    ...(crlUrl ? { crlUrl } : {}),
    events,
    messages: server.messages,
    get sessions() {
      return server.sessions();
    },
    get openSessions() {
      return server.openSessions();
    },
    async close() {
      await server.close();
      await source.close();
      await store?.flush();
    },
    waitFor(predicate, { timeoutMs = 5000 } = {}) {
      const found = log.events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const onEvent = (event: SessionEvent) => {
          if (!predicate(event)) return;
          clearTimeout(timer);
          log.off('event', onEvent);
          resolve(event);
        };
        const timer = setTimeout(() => {
          log.off('event', onEvent);
          reject(new Error(`no matching event within ${timeoutMs} ms; events so far:\n${log.events.map((e) => JSON.stringify(e)).join('\n')}`));
        }, timeoutMs);
        log.on('event', onEvent);
      });
    },
  };
}


/**
 * Runs a sender scenario against a receiving MTA and resolves once every session is over:
 *
 *   const sent = await startSender('sender-pregreet', { port: 25 });
 *   sent.outcome      // { delivered: false, tls: 'none', ... }
 *   sent.asExpected   // what a healthy receiver does, per the scenario's `expect`
 *
 * Rejects with SendError when the receiver cannot be talked to at all (no connection, no
 * greeting, no SMTP), with ScenarioError for a bad scenario.
 */
export async function startSender(reference: SenderReference, options: StartSenderOptions): Promise<SendResult> {
  // Loaded when a sender runs: serving a scenario never needs it.
  const { sendScenario } = await import('./sender/start.js');
  return sendScenario(reference, options);
}
