// Serves one scenario on one port. Everything the scenario does not bend is plain,
// correct smtp-server behaviour; every limit is bounded and can be set.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { X509Certificate } from 'node:crypto';
import type { TlsMaterial } from '../certs/serving.js';
import { EventLog, type SessionEventInput } from '../events.js';
import { engineConfig } from '../tls/engine/config.js';
import type { Scenario } from '../scenario/schema.js';
import { FaultState } from '../faults/when.js';
import { BrokenConnection, type SessionHost, type TlsState } from './connection.js';

export interface Limits {
  /** Largest message accepted, in bytes (advertised as SIZE, 552 beyond). */
  maxMessageBytes: number;
  /** Sessions at once; 421 beyond. */
  maxConnections: number;
  /** A session idle this long gets 421 and is closed. */
  idleTimeoutMs: number;
  /** On close, how long a session in the middle of a message may take to finish it. */
  closeTimeoutMs: number;
  /** Messages kept in memory for the API; older ones are dropped first. */
  maxMessages: number;
  /** Longest command line, in bytes with its line ending; 500 beyond (the rest of the line is dropped). */
  maxLineBytes: number;
  /** Recipients in one message; 452 beyond. */
  maxRecipients: number;
  /** Sessions at once from one client address; 421 beyond. */
  maxConnectionsPerClient: number;
  /** A session open this long gets 421 and is closed, however busy it is. */
  maxSessionMs: number;
  /** A TLS handshake not done this long after it began: the session is closed. */
  tlsHandshakeTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 10 * 1024 * 1024,
  maxConnections: 100,
  idleTimeoutMs: 60_000,
  closeTimeoutMs: 1500,
  maxMessages: 1000,
  // RFC 5321 §4.5.3.1 allows 512 for a command, 1000 for a text line; real clients send
  // longer AUTH and MAIL lines, so the default is generous. It only bounds memory.
  maxLineBytes: 4096,
  maxRecipients: 100,
  maxConnectionsPerClient: 20,
  maxSessionMs: 10 * 60_000,
  tlsHandshakeTimeoutMs: 10_000,
};

export interface CapturedMessage {
  session: number;
  from: string;
  to: string[];
  secure: boolean;
  /** The TLS session it came over, when it did. */
  tls?: TlsState;
  /** The message as received: RFC 5322 header and body. */
  raw: Buffer;
}

export interface ServeOptions {
  host: string;
  port: number;
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
  close(): Promise<void>;
}

class BrokenSmtpServer extends SMTPServer {
  sessionHost!: SessionHost;
  readonly byId = new Map<string, BrokenConnection>();

  override connect(socket: Socket): void {
    const connection = new BrokenConnection(this, socket, this.sessionHost);
    this.byId.set(connection.id, connection);
    connection.once('close', () => this.byId.delete(connection.id));
    this.connections.add(connection);
    connection.on('error', (err: Error) => this._onError(err));
    connection.on('connect', (data) => this._onClientConnect(data));
    connection.init();
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
    faultState: new FaultState(),
    limits,
    ...(scenario.tls?.engine === 'scripted' && options.tls ? { engine: engineConfig(scenario.tls, options.tls.certificate) } : {}),
    nextSessionNumber: () => ++sessionCount,
    record: (session: number, event: SessionEventInput) =>
      events.record({ time: new Date().toISOString(), scenario: scenario.name, session, ...event } as never),
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
    ...tlsOptions(scenario, options.tls, options.hostname, options.caCertificate),
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
          keyExchange: keyExchangeOf(cipher.standardName ?? cipher.name),
          ...(tlsSocket.servername ? { sni: tlsSocket.servername } : {}),
          ...(options.tls?.sniFallback ? { certificate: servedProfile(options.tls, tlsSocket.servername, options.hostname) } : {}),
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
  if (options.tls?.ocspStaple) stapleOcsp(server, options.tls, events, scenario.name);
  server.on('error', (err: Error) => {
    // An error from one session must never take the server down: it becomes an event.
    events.record({ time: new Date().toISOString(), scenario: scenario.name, session: 0, type: 'warning', text: err.message });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen({ host: options.host, port: options.port }, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
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
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const connection of server.byId.values()) connection.shutDown();
        server.close(() => {
          // Sessions had closeTimeoutMs to finish; whatever is left is cut now (the socket
          // on top: one that TLS wrapped no longer owns its handle).
          for (const connection of server.byId.values()) connection._socket.destroy();
          events.end();
          resolve();
        });
      });
      return closing;
    },
  };
}

function tlsOptions(scenario: Scenario, material: TlsMaterial | undefined, hostname: string, caCertificate: string | undefined): Partial<SMTPServerOptions> {
  const tls = scenario.tls;
  if (!tls || !material) return {};
  const { certificate, sniFallback } = material;
  // The scripted engine takes the certificate itself (connection.ts); Node's TLS is not used.
  if (tls.engine === 'scripted') return { key: certificate.key, cert: certificate.chain };
  const versions = tls.versions ?? [];
  const order = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
  const sorted = order.filter((version) => (versions as readonly string[]).includes(version));
  const legacy = sorted.some((version) => version === 'TLSv1' || version === 'TLSv1.1');
  const served = sniFallback ?? certificate;
  const settings = {
    ...(tls.dh === 'auto' ? { dhparam: 'auto' } : {}),
    ...(tls.clientCert === 'required' ? { requestCert: true, rejectUnauthorized: true, ca: caCertificate } : {}),
    ...(sorted.length ? { minVersion: sorted[0], maxVersion: sorted[sorted.length - 1] } : {}),
    // TLS 1.0/1.1 exist in OpenSSL 3 only below security level 1.
    ...(tls.ciphers ? { ciphers: tls.ciphers } : legacy ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
  };
  return {
    key: served.key,
    cert: served.chain,
    ...settings,
    // smtp-server picks a context by the client's SNI, and the default one otherwise.
    ...(sniFallback ? { sniOptions: { [hostname]: { key: certificate.key, cert: certificate.chain, ...settings } } } : {}),
  };
}

function servedProfile(material: TlsMaterial, servername: string | false | null | undefined, hostname: string): string {
  return servername && servername.toLowerCase() === hostname.toLowerCase() ? material.certificate.profile : material.sniFallback!.profile;
}

/**
 * Staples the OCSP response to every handshake whose client asks for one (status_request),
 * through Node's OCSPRequest hook. smtp-server's TLS sockets hang on its plain net.Server,
 * which Node asks too; without SNI Node looks for the server's default context in
 * _sharedCreds (a tls.Server's), so the default context is put there.
 */
function stapleOcsp(server: BrokenSmtpServer, material: TlsMaterial, events: EventLog, scenario: string): void {
  const staple = material.ocspStaple!;
  const leaf = new X509Certificate(material.certificate.chain).raw;
  const plain = server.server as typeof server.server & { _sharedCreds?: unknown };
  plain._sharedCreds = server.secureContext.get('*');
  plain.on('OCSPRequest', (certificate: Buffer, _issuer: Buffer | null, callback: (error: Error | null, response?: Buffer) => void) => {
    // Only for the certificate the response is about (not an SNI fallback's).
    if (!certificate.equals(leaf)) return callback(null);
    events.record({ time: new Date().toISOString(), scenario, session: 0, type: 'ocsp-stapled', status: staple.status });
    callback(null, staple.response);
  });
}

function keyExchangeOf(cipher: string): { kind: string } | undefined {
  if (/^TLS_AES|^TLS_CHACHA20/.test(cipher)) return { kind: 'ECDHE (TLS 1.3)' };
  if (/_ECDHE_/.test(cipher)) return { kind: 'ECDHE' };
  if (/_DHE_/.test(cipher)) return { kind: 'DHE' };
  if (/^TLS_RSA_/.test(cipher)) return { kind: 'RSA' };
  return undefined;
}

function messageIdOf(raw: Buffer): string | undefined {
  const header = raw.subarray(0, 65536).toString('latin1').split(/\r?\n\r?\n/)[0] ?? '';
  return /^message-id:\s*(<[^>\r\n]+>)/im.exec(header)?.[1];
}
