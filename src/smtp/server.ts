// Serves one scenario on one port. Everything the scenario does not bend is plain,
// correct smtp-server behaviour; every limit is bounded and can be set.
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SMTPServer, SMTPServerOptions } from 'smtp-server';
import type { ServedCertificate } from '../certs/cache.js';
import type { OcspStaple, TlsMaterial } from '../certs/serving.js';
import { EventLog } from '../events.js';
import { configureFault } from '../faults/registry.js';
import { FaultState } from '../faults/when.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import type { Scenario } from '../scenario/schema.js';
import { NODE_TLS_VERSIONS } from '../tls/versions.js';
import { BrokenConnection } from './connection.js';
import { advertisedSize } from './ehlo.js';
import { scriptedEngineConfig } from './engine-config.js';
import { LibraryServer } from './library-server.js';
import { MessageIntake } from './message-intake.js';
import type { ServedScenario } from './served-scenario.js';
import type { CapturedMessage } from './types.js';

export interface ServeOptions {
  host: string;
  /** Without `listen: false`, the port to listen on; with it, the port the sockets came to. */
  port: number;
  /**
   * false: bind no port; sockets come through `accept` from a listener that owns the port
   * and chooses, connection by connection, which scenario serves it (the control API).
   */
  listen?: boolean;
  /** Session numbers shared with other servers of the same port, so that port and number name one session. */
  nextSessionNumber?: () => number;
  hostname: string;
  /** The certificate(s) and staple a scenario with TLS serves. */
  tls?: TlsMaterial;
  /** The test CA, for verifying client certificates. */
  caCertificate?: string;
  limits?: Partial<Limits>;
  events?: EventLog;
  /** Called for every message received, after it is in `messages`. */
  onMessage?: (message: CapturedMessage) => void;
}

export interface ScenarioServer {
  readonly host: string;
  readonly port: number;
  readonly scenario: Scenario;
  readonly events: EventLog;
  readonly messages: CapturedMessage[];
  /** Sessions served so far. */
  sessions(): number;
  /** Sessions open right now. */
  openSessions(): number;
  /** Serves a socket accepted elsewhere (with `listen: false`); resolves when its session has ended. */
  accept(socket: Socket): Promise<void>;
  close(): Promise<void>;
}

export async function serveScenario(scenario: Scenario, options: ServeOptions): Promise<ScenarioServer> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const events = options.events ?? new EventLog();
  let sessionCount = 0;
  const served: ServedScenario = {
    scenario,
    hostname: options.hostname,
    faults: scenario.faults.map(configureFault),
    faultState: new FaultState(),
    limits,
    ...(scenario.tls?.engine === 'scripted' && options.tls ? { engine: scriptedEngineConfig(scenario.tls, options.tls.certificate) } : {}),
    ...(options.tls?.sniFallback ? { certificateServedTo: servedProfile(options.tls, options.hostname) } : {}),
    nextSessionNumber: () => {
      sessionCount++;
      return options.nextSessionNumber?.() ?? sessionCount;
    },
    record: (session, event) => events.record({ time: new Date().toISOString(), scenario: scenario.name, session, ...event }),
  };
  // Every open session by its id: smtp-server's hooks name the session, not the connection.
  const byId = new Map<string, BrokenConnection>();
  // The session accept() is handing a socket to (connect makes it synchronously).
  let handingOver: ((connection: BrokenConnection) => void) | undefined;
  const intake = new MessageIntake(scenario, limits, served.record, options.onMessage);
  const server = new LibraryServer(
    {
      ...smtpOptions(scenario, options, limits),
      onSecure(socket, session, callback) {
        byId.get(session.id)?.nodeHandshakeDone(socket as TLSSocket);
        callback();
      },
      onData: (stream, session, callback) => intake.receive(stream, session, () => byId.get(session.id), callback),
      onAuth(auth, session, callback) {
        const connection = byId.get(session.id);
        if (connection) connection.answered.verifyCredentials(auth, callback);
        else callback(new Error('4.7.0 The session is gone'));
      },
    },
    (library, socket, socketOptions) => new BrokenConnection(library, socket, socketOptions, served),
    (connection) => {
      byId.set(connection.id, connection);
      connection.once('close', () => {
        byId.delete(connection.id);
        if (byId.size === 0) server.emit('sessions-ended');
      });
      handingOver?.(connection);
    },
  );
  // An error from one session must never take the server down: it becomes an event.
  server.on('error', (err: Error) => served.record(0, { type: 'warning', text: err.message }));
  if (options.tls?.ocspStaple) stapleOcsp(server, options.tls.certificate, options.tls.ocspStaple, (status) => served.record(0, { type: 'ocsp-stapled', status }));
  const listening = options.listen !== false;
  const port = listening ? await listen(server, options.host, options.port) : options.port;

  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    scenario,
    events,
    messages: intake.messages,
    sessions: () => sessionCount,
    // The session table itself: a session that ended but stayed in it would be a leak.
    openSessions: () => byId.size,
    // The session's close, not the socket's: a socket TLS has taken over never says it closed.
    accept: (socket) =>
      new Promise<void>((resolve) => {
        handingOver = (connection) => connection.once('close', () => resolve());
        try {
          server.connect(socket);
        } finally {
          handingOver = undefined;
        }
      }),
    close() {
      closing ??= stop(server, byId, listening, limits.closeTimeoutMs).then(() => events.end());
      return closing;
    },
  };
}

/** Open sessions get 421 (one in a message may finish it, within timeoutMs), then whatever is left is cut. */
function stop(server: SMTPServer, byId: Map<string, BrokenConnection>, listening: boolean, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const connection of byId.values()) connection.shutDown();
    const cut = () => {
      for (const connection of byId.values()) connection.destroy();
      resolve();
    };
    // A port's server closes once its sockets have; sockets handed in belong to another's.
    if (listening) server.close(cut);
    else void sessionsEnded(server, () => byId.size, timeoutMs).then(cut);
  });
}

/** smtp-server's options: everything the scenario does not bend, with every limit set. */
function smtpOptions(scenario: Scenario, options: ServeOptions, limits: Limits): SMTPServerOptions {
  return {
    name: options.hostname,
    logger: false,
    // Implicit TLS still goes through the connection's own upgrade, so TLS faults and the
    // client's alert are handled in one place for both kinds.
    secure: Boolean(scenario.tls?.implicit),
    needsUpgrade: Boolean(scenario.tls?.implicit),
    // Whether AUTH is needed, and what becomes of credentials, is the scenario's faults' to say.
    authOptional: true,
    allowInsecureAuth: true,
    ...(scenario.smtp.auth ? { authMethods: scenario.smtp.auth.mechanisms } : {}),
    // A reverse lookup would leave loopback (and slow every session down) for a name only the log shows.
    disableReverseLookup: true,
    disabledCommands: [...(scenario.smtp.auth ? [] : ['AUTH']), ...(scenario.tls ? [] : ['STARTTLS']), ...(scenario.smtp.chunking ? [] : ['BDAT'])],
    hideSTARTTLS: !scenario.tls,
    // What MAIL ... SIZE= is held to: the SIZE advertised (a lie, if the scenario says so);
    // the message itself is held to the limit that is enforced (message-intake.ts).
    size: advertisedSize(scenario.smtp) ?? scenario.smtp.size ?? limits.maxMessageBytes,
    socketTimeout: limits.idleTimeoutMs,
    closeTimeout: limits.closeTimeoutMs,
    maxClients: limits.maxConnections,
    // The connection stops longer lines itself, with a 500 (smtp-server's own check
    // answers 421 and ends the session); this is only its backstop.
    maxCommandLength: limits.maxLineBytes,
    ...tlsOptions(scenario, options.tls, options.hostname, options.caCertificate),
  };
}

/** Listens, and says on which port (a port of 0 takes a free one). */
function listen(server: SMTPServer, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen({ host, port }, () => {
      server.server.off('error', onError);
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function tlsOptions(scenario: Scenario, material: TlsMaterial | undefined, hostname: string, caCertificate: string | undefined): Partial<SMTPServerOptions> {
  const tls = scenario.tls;
  if (!tls || !material) return {};
  const { certificate, sniFallback } = material;
  // The scripted engine takes the certificate itself (connection.ts); Node's TLS is not used.
  if (tls.engine === 'scripted') return { key: certificate.key, cert: certificate.chain };
  const versions = tls.versions ?? [];
  const sorted = NODE_TLS_VERSIONS.filter((version) => versions.includes(version));
  const legacy = sorted.some((version) => version === 'TLSv1' || version === 'TLSv1.1');
  const settings = {
    ...(tls.dh === 'auto' ? { dhparam: 'auto' } : {}),
    ...(tls.clientCert === 'required' ? { requestCert: true, rejectUnauthorized: true, ca: caCertificate } : {}),
    ...(sorted.length ? { minVersion: sorted[0], maxVersion: sorted[sorted.length - 1] } : {}),
    // TLS 1.0/1.1 exist in OpenSSL 3 only below security level 1.
    ...(tls.ciphers ? { ciphers: tls.ciphers } : legacy ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
  // With sniFallback the default context serves the fallback, and smtp-server picks the
  // scenario's own certificate by the client's SNI.
  const served = sniFallback ?? certificate;
  return {
    key: served.key,
    cert: served.chain,
    ...settings,
    ...(sniFallback ? { sniOptions: { [hostname]: { key: certificate.key, cert: certificate.chain, ...settings } } } : {}),
  };
}

/** Which profile a client got, by the name it sent (sniFallback): smtp-server matches names without case. */
function servedProfile(material: TlsMaterial, hostname: string): (servername: string | undefined) => string {
  const fallback = material.sniFallback!.profile;
  return (servername) => (servername?.toLowerCase() === hostname.toLowerCase() ? material.certificate.profile : fallback);
}

/** Staples the OCSP response to handshakes whose client asks for status, for the certificate it is about (not an SNI fallback's). */
function stapleOcsp(server: LibraryServer<BrokenConnection>, certificate: ServedCertificate, staple: OcspStaple, stapled: (status: OcspStaple['status']) => void): void {
  const leaf = new X509Certificate(certificate.chain).raw;
  server.answerOcspRequests((served) => {
    if (!served.equals(leaf)) return undefined;
    // Node does not say for which session it asks: the event belongs to none (session 0).
    stapled(staple.status);
    return staple.response;
  });
}

/** Once every session has ended, or after timeoutMs, whichever comes first. */
function sessionsEnded(server: SMTPServer, open: () => number, timeoutMs: number): Promise<void> {
  if (open() === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    server.once('sessions-ended', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
