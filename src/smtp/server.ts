// Serves one scenario on one port. Everything the scenario does not bend is plain,
// correct smtp-server behaviour; every limit is bounded and can be set.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { ServedCertificate } from '../certs/cache.js';
import { EventLog, type SessionEventInput } from '../events.js';
import { configureFault } from '../faults/registry.js';
import { FaultState } from '../faults/when.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import type { Scenario } from '../scenario/schema.js';
import { NODE_TLS_VERSIONS } from '../tls/versions.js';
import { BrokenConnection, type SessionHost } from './connection.js';
import { scriptedEngineConfig } from './engine-config.js';
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
  certificate?: ServedCertificate;
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

class BrokenSmtpServer extends SMTPServer {
  sessionHost!: SessionHost;
  readonly byId = new Map<string, BrokenConnection>();

  override connect(socket: Socket): void {
    this.serve(socket);
  }

  /** A socket's session; its 'close' is the session's end (a socket TLS took over never says so itself). */
  serve(socket: Socket): BrokenConnection {
    const connection = new BrokenConnection(this, socket, this.sessionHost);
    this.byId.set(connection.id, connection);
    connection.once('close', () => {
      this.byId.delete(connection.id);
      if (this.byId.size === 0) this.emit('sessions-ended');
    });
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection.init();
    return connection;
  }
}

export async function serveScenario(scenario: Scenario, options: ServeOptions): Promise<ScenarioServer> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const events = options.events ?? new EventLog();
  const messages: CapturedMessage[] = [];
  let sessionCount = 0;
  const maxMessageBytes = scenario.smtp.size ?? limits.maxMessageBytes;
  // Message-ID → the session that brought it, for the most recent messages: a client that
  // never got its 250 sends the same message again, and the events should say so.
  const seenMessageIds = new Map<string, number>();

  const host: SessionHost = {
    scenario,
    hostname: options.hostname,
    faults: scenario.faults.map(configureFault),
    faultState: new FaultState(),
    limits,
    ...(scenario.tls?.engine === 'scripted' && options.certificate ? { engine: scriptedEngineConfig(scenario.tls, options.certificate) } : {}),
    nextSessionNumber: () => {
      sessionCount++;
      return options.nextSessionNumber?.() ?? sessionCount;
    },
    record: (session: number, event: SessionEventInput) =>
      events.record({ time: new Date().toISOString(), scenario: scenario.name, session, ...event }),
  };

  const connectionOf = (sessionId: string) => server.byId.get(sessionId);

  const smtpOptions: SMTPServerOptions = {
    name: options.hostname,
    logger: false,
    // Implicit TLS still goes through the connection's own upgrade, so TLS faults and the
    // client's alert are handled in one place for both kinds.
    secure: Boolean(scenario.tls?.implicit),
    needsUpgrade: Boolean(scenario.tls?.implicit),
    authOptional: true,
    // A reverse lookup would leave loopback (and slow every session down) for a name only the log shows.
    disableReverseLookup: true,
    disabledCommands: scenario.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    hideSTARTTLS: !scenario.tls,
    size: scenario.smtp.size ?? limits.maxMessageBytes,
    socketTimeout: limits.idleTimeoutMs,
    closeTimeout: limits.closeTimeoutMs,
    maxClients: limits.maxConnections,
    // The connection stops longer lines itself, with a 500 (smtp-server's own check
    // answers 421 and ends the session); this is only its backstop.
    maxCommandLength: limits.maxLineBytes,
    ...tlsOptions(scenario, options.certificate, options.caCertificate),
    onSecure(socket, session, callback) {
      const tlsSocket = socket as TLSSocket;
      const connection = connectionOf(session.id);
      // A client that closes right after the handshake leaves a socket with no cipher any
      // more (implicit TLS asks here a second time, a tick later: once is recorded); its close follows.
      const cipher = tlsSocket.getCipher() as ReturnType<TLSSocket['getCipher']> | null;
      if (connection && cipher && !connection.tlsState) {
        connection.tlsEstablished({ protocol: tlsSocket.getProtocol() ?? 'unknown', cipher: cipher.standardName ?? cipher.name });
        host.record(connection.sessionNumber, {
          type: 'tls-established',
          protocol: tlsSocket.getProtocol() ?? 'unknown',
          cipher: cipher.standardName ?? cipher.name,
          ...keyExchangeOf(cipher.standardName ?? cipher.name),
          ...(tlsSocket.servername ? { sni: tlsSocket.servername } : {}),
          ...(scenario.tls?.clientCert ? { clientCertificate: String(tlsSocket.getPeerCertificate().subject?.CN ?? '(none)') } : {}),
        });
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit the bytes are counted, not kept: memory stays bounded.
        if (size <= maxMessageBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        const connection = connectionOf(session.id);
        if (stream.sizeExceeded) {
          host.record(connection?.sessionNumber ?? 0, {
            type: 'limit',
            limit: scenario.smtp.size ? 'smtp.size' : 'maxMessageBytes',
            value: maxMessageBytes,
            detail: `a message of ${size} bytes refused`,
          });
          const error = Object.assign(new Error(`5.3.4 Message too big: ${size} bytes, limit ${maxMessageBytes}`), {
            responseCode: 552,
          });
          return callback(error);
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        const number = connection?.sessionNumber ?? 0;
        host.record(number, { type: 'message', from, to, size, secure: Boolean(session.secure) });
        const tls = connection?.tlsState;
        const message: CapturedMessage = { session: number, from, to, secure: Boolean(session.secure), ...(tls ? { tls } : {}), raw: Buffer.concat(chunks) };
        messages.push(message);
        if (messages.length > limits.maxMessages) messages.shift();
        const messageId = messageIdOf(message.raw);
        if (messageId) {
          const earlier = seenMessageIds.get(messageId);
          if (earlier !== undefined) {
            host.record(number, { type: 'warning', text: `duplicate: the same message (Message-ID ${messageId}) as in session ${earlier}; the client is retrying` });
          }
          seenMessageIds.set(messageId, number);
          if (seenMessageIds.size > limits.maxMessages) seenMessageIds.delete(seenMessageIds.keys().next().value!);
        }
        options.onMessage?.(message);
        if (!connection) return callback(null, 'Message accepted');
        connection.finishData(callback);
      });
    },
  };

  const server = new BrokenSmtpServer(smtpOptions);
  server.sessionHost = host;
  server.on('error', (err: Error) => {
    // An error from one session must never take the server down: it becomes an event.
    events.record({ time: new Date().toISOString(), scenario: scenario.name, session: 0, type: 'warning', text: err.message });
  });

  const listening = options.listen !== false;
  if (listening) await listen(server, options.host, options.port);
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    scenario,
    events,
    messages,
    sessions: () => sessionCount,
    // The session table itself: a session that ended but stayed in it would be a leak.
    openSessions: () => server.byId.size,
    accept: (socket) => new Promise<void>((resolve) => server.serve(socket).once('close', () => resolve())),
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const connection of server.byId.values()) connection.shutDown();
        const cut = () => {
          // Sessions had closeTimeoutMs to finish; whatever is left is cut now (the socket
          // on top: one that TLS wrapped no longer owns its handle).
          for (const connection of server.byId.values()) connection._socket.destroy();
          events.end();
          resolve();
        };
        // A port's server closes once its sockets have; sockets handed in belong to another's.
        if (listening) server.close(cut);
        else void sessionsEnded(server, limits.closeTimeoutMs).then(cut);
      });
      return closing;
    },
  };
}

function listen(server: BrokenSmtpServer, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen({ host, port }, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
}

/** Once every session has ended, or after timeoutMs, whichever comes first. */
function sessionsEnded(server: BrokenSmtpServer, timeoutMs: number): Promise<void> {
  if (server.byId.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    server.once('sessions-ended', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function tlsOptions(scenario: Scenario, certificate: ServedCertificate | undefined, caCertificate: string | undefined): Partial<SMTPServerOptions> {
  const tls = scenario.tls;
  if (!tls || !certificate) return {};
  // The scripted engine takes the certificate itself (connection.ts); Node's TLS is not used.
  if (tls.engine === 'scripted') return { key: certificate.key, cert: certificate.chain };
  const versions = tls.versions ?? [];
  const sorted = NODE_TLS_VERSIONS.filter((version) => versions.includes(version));
  const legacy = sorted.some((version) => version === 'TLSv1' || version === 'TLSv1.1');
  return {
    key: certificate.key,
    cert: certificate.chain,
    ...(tls.dh === 'auto' ? { dhparam: 'auto' } : {}),
    ...(tls.clientCert === 'required' ? { requestCert: true, rejectUnauthorized: true, ca: caCertificate } : {}),
    ...(sorted.length ? { minVersion: sorted[0], maxVersion: sorted[sorted.length - 1] } : {}),
    // TLS 1.0/1.1 exist in OpenSSL 3 only below security level 1.
    ...(tls.ciphers ? { ciphers: tls.ciphers } : legacy ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
}

function keyExchangeOf(cipher: string): { keyExchange?: { kind: string } } {
  if (/^TLS_AES|^TLS_CHACHA20/.test(cipher)) return { keyExchange: { kind: 'ECDHE (TLS 1.3)' } };
  if (/_ECDHE_/.test(cipher)) return { keyExchange: { kind: 'ECDHE' } };
  if (/_DHE_/.test(cipher)) return { keyExchange: { kind: 'DHE' } };
  if (/^TLS_RSA_/.test(cipher)) return { keyExchange: { kind: 'RSA' } };
  return {};
}

function messageIdOf(raw: Buffer): string | undefined {
  const header = raw.subarray(0, 65536).toString('latin1').split(/\r?\n\r?\n/)[0] ?? '';
  return /^message-id:\s*(<[^>\r\n]+>)/im.exec(header)?.[1];
}
