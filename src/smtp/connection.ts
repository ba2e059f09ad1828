// smtp-server speaks correct SMTP; this subclass is where the scenario bends it. It is the
// one file that touches smtp-server's internals (_socket, _parser, _upgrading), because
// the library has no hook between STARTTLS and the handshake (see DESIGN.md).
import type { Socket } from 'node:net';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import type { SessionEventInput } from '../events.js';
import type { FaultTarget, Step } from '../faults/fault.js';
import { findFault } from '../faults/registry.js';
import { addressOf, applies, type FaultState, type StepContext } from '../faults/when.js';
import type { Scenario } from '../scenario/schema.js';
import { alert } from '../tls/alerts.js';
import { alertFromOpenSslCode, serverAlertFromOpenSslCode } from '../tls/node/errors.js';
import { serverFlight } from '../tls/node/flight.js';
import type { EngineConfig, EngineEvent } from '../tls/engine/engine.js';
import { EngineSocket } from '../tls/engine/socket.js';
import type { Limits } from './server.js';

const COMMAND_STEPS: Readonly<Record<string, Step>> = {
  EHLO: 'EHLO',
  LHLO: 'EHLO',
  HELO: 'HELO',
  AUTH: 'AUTH',
  STARTTLS: 'STARTTLS',
  MAIL: 'MAIL',
  RCPT: 'RCPT',
  DATA: 'DATA',
  RSET: 'RSET',
  NOOP: 'NOOP',
  VRFY: 'VRFY',
  QUIT: 'QUIT',
};

/** What the connection needs from the server that owns it. */
export interface SessionHost {
  readonly scenario: Scenario;
  readonly hostname: string;
  /** Counters and generators of the faults' `when` rules, for this server. */
  readonly faultState: FaultState;
  /** Set when the scenario's TLS is the scripted engine's. */
  readonly engine?: EngineConfig;
  readonly limits: Limits;
  nextSessionNumber(): number;
  record(session: number, event: SessionEventInput): void;
}

type SmtpReplyData = string | string[];

export interface TlsState {
  protocol: string;
  cipher: string;
}

export class BrokenConnection extends SMTPConnection {
  readonly sessionNumber: number;
  private readonly host: SessionHost;
  private readonly startedAt = Date.now();
  private closedBy: 'client' | 'server' | undefined;
  private tlsOutcomeRecorded = false;
  private injectionReported = false;
  private ehloKeywords: string[] | undefined;
  private greeted = false;
  private clientTalkedEarly = false;
  private dripMsPerByte: number | undefined;
  private injectedLines: string[] | undefined;
  /** The last chunk the client sent in plaintext, to see what came with STARTTLS. */
  private lastChunk: Buffer | undefined;
  private readonly tap = (chunk: Buffer) => (this.lastChunk = chunk);
  /** Sleeps a fault is in: the session's end cuts them short. */
  private readonly sleeping = new Set<() => void>();
  private sessionTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  /** Commands (and a message) the client has sent and not yet had an answer to. */
  private owed = 0;
  private clientEnded = false;

  constructor(server: ConstructorParameters<typeof SMTPConnection>[0], socket: Socket, host: SessionHost) {
    // The session number is the id too: unique per server, and cheaper than smtp-server's random one.
    const sessionNumber = host.nextSessionNumber();
    super(server, socket, { id: String(sessionNumber) });
    this.host = host;
    this.sessionNumber = sessionNumber;
  }

  private get scenario(): Scenario {
    return this.host.scenario;
  }

  private record(event: SessionEventInput): void {
    this.host.record(this.sessionNumber, event);
  }

  private limitReached(limit: keyof Limits, detail: string): void {
    this.record({ type: 'limit', limit, value: this.host.limits[limit], detail });
  }

  override init(): void {
    this.record({
      type: 'connect',
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      localPort: this.localPort,
    });
    // A peer that closes first shows up as 'end' on the raw socket before 'close'. It may
    // only have stopped writing: Exim sends QUIT right after the final dot and shuts its
    // side down, then reads the replies. So the socket stays open (half-open) until every
    // command it sent has been answered, however long a fault takes to answer.
    this._socket.allowHalfOpen = true;
    this._socket.once('end', () => {
      this.closedBy ??= 'client';
      this.clientEnded = true;
      this.endIfAnswered();
    });
    // However busy a session keeps itself (a byte now and then resets the idle timeout),
    // it ends at maxSessionMs.
    this.sessionTimer = setTimeout(() => this.sessionTimeUp(), this.host.limits.maxSessionMs);
    this.sessionTimer.unref();
    if (this.scenario.tls?.implicit) return this.startImplicitTls();
    this._socket.on('data', this.tap);
    // smtp-server waits 100 ms before every greeting to catch clients that talk first;
    // that pause capped a 20-client load at 200 sessions/s. Catching early talkers is a
    // scenario's choice here (a fault at CONNECT), so the greeting goes out at once.
    this.listen();
  }

  private listen(): void {
    this._setListeners(() => {
      const { maxClients } = this._server.options;
      if (maxClients && this._server.connections.size > maxClients) {
        this.limitReached('maxConnections', `${this._server.connections.size} sessions open`);
        return this.send(421, `${this.host.hostname} Too many connected clients, try again in a moment`, false);
      }
      const perClient = this.host.limits.maxConnectionsPerClient;
      let fromHere = 0;
      for (const connection of this._server.connections) if (connection.remoteAddress === this.remoteAddress) fromHere++;
      if (fromHere > perClient) {
        this.limitReached('maxConnectionsPerClient', `${fromHere} sessions open from ${this.remoteAddress}`);
        return this.send(421, '4.7.0 Too many connections from your address', false);
      }
      this.connectionReady();
    });
  }

  // --- replies -------------------------------------------------------------------------

  override send(code: number, data?: SmtpReplyData, context?: string | false): void {
    if (this.ehloKeywords && code === 250 && Array.isArray(data)) {
      data = [data[0]!, ...this.ehloKeywords];
      this.ehloKeywords = undefined;
    }
    // 'writeOnly': the client has stopped writing and still reads its replies (see init).
    const writeOnly = this._socket.readyState === 'writeOnly';
    const willWrite = !this._upgrading && !this._socket.destroyed && (this._socket.readyState === 'open' || writeOnly);
    if (willWrite) {
      const lines = Array.isArray(data) ? data : [data ?? ''];
      this.record({ type: 'reply', code, text: lines.join('\n') });
    }
    if (code === 421) this.closedBy ??= 'server';
    if (this.dripMsPerByte && willWrite) {
      const msPerByte = this.dripMsPerByte;
      this.dripMsPerByte = undefined;
      return void this.drip(formatReply(code, data), msPerByte).then(() => code === 421 && this.close());
    }
    // smtp-server writes only to a socket open both ways.
    if (writeOnly && willWrite) {
      this._socket.write(formatReply(code, data));
      if (code === 421) this.close();
      return;
    }
    super.send(code, data, context);
    // The reply to a message that was under way when the server began to stop: now it may go.
    if (this.shuttingDown && code !== 354) setImmediate(() => !this.inMessage && this.closeForShutdown());
  }

  private async drip(payload: string, msPerByte: number): Promise<void> {
    for (const byte of Buffer.from(payload)) {
      if (this._socket.destroyed) return;
      this._socket.write(Buffer.of(byte));
      await this.sleep(msPerByte);
    }
  }

  /** Waits, but no longer than the session lives. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this._closed) return resolve();
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }

  override _sendGreeting(): void {
    void this.runFaults('CONNECT', '').then((handled) => {
      if (handled || this._closing || this._closed) return;
      const greeting = this.scenario.smtp.greeting;
      if (!greeting) return void super._sendGreeting();
      const text = greeting.slice(4).replaceAll('{hostname}', this.host.hostname);
      this.send(220, text, false);
    }).finally(() => (this.greeted = true));
  }

  // --- commands ------------------------------------------------------------------------

  override _onCommand(command: Buffer, answered?: () => void): void {
    const callback = this.owe(answered ?? (() => undefined));
    const line = (command ?? '').toString();
    const name = line.split(' ')[0]!.toUpperCase();
    const done = callback;
    // Lines that arrive while a handshake is under way were plaintext after STARTTLS;
    // smtp-server drops them (reportPipelinedAfterStarttls says so).
    if (this._upgrading) return super._onCommand(command, callback);
    if (!this.greeted) {
      // A fault at CONNECT is still running (a pause, a tarpit): the line is noted, not
      // answered, as sendmail's greet_pause does; the fault decides what follows.
      this.clientTalkedEarly = true;
      this.record({ type: 'command', step: 'CONNECT', line: clip(redact(name, line, false)) });
      return callback();
    }
    const continuation = Boolean(this._nextHandler);
    this.record({ type: 'command', step: continuation ? 'AUTH' : (COMMAND_STEPS[name] ?? name), line: clip(redact(name, line, continuation)) });
    const step = continuation ? undefined : COMMAND_STEPS[name];
    if (!step || !this._ready) return super._onCommand(command, callback);
    const argument = line.slice(name.length).trim();
    void this.runFaults(step, argument).then((handled) => {
      if (handled) done();
      else super._onCommand(command, callback);
    });
  }

  override handler_RCPT(command: Buffer, callback: () => void): void {
    // Checked before smtp-server's own handling, which would answer 452 without the
    // enhanced code; faults at RCPT have already had their turn.
    const envelope = this.session.envelope;
    const parsed = envelope?.mailFrom ? this._parseAddressCommand('rcpt to', command) : false;
    const max = this.host.limits.maxRecipients;
    if (parsed && parsed.address && envelope.rcptTo.length >= max && !this._rcptIndex.has(parsed.address.toLowerCase())) {
      this.limitReached('maxRecipients', `recipient <${parsed.address}> refused: ${envelope.rcptTo.length} already in this message`);
      this.send(452, '4.5.3 Too many recipients', false);
      return callback();
    }
    super.handler_RCPT(command, callback);
  }

  /** Every parser the session gets (one more after STARTTLS) stops over-long lines. */
  override _createParser(): SMTPStream {
    const parser = super._createParser();
    guardLineLength(parser, () => this.host.limits.maxLineBytes, (bytes, complete) => {
      this.limitReached('maxLineBytes', complete ? `a line of ${bytes} bytes` : `a line of ${bytes} bytes and no end yet; the rest of it is dropped`);
      this.send(500, '5.5.2 Line too long', false);
    });
    return parser;
  }

  override handler_EHLO(command: Buffer, callback: () => void): void {
    this.ehloKeywords = this.scenario.smtp.ehlo;
    super.handler_EHLO(command, callback);
  }

  override handler_STARTTLS(command: Buffer, callback: () => void): void {
    const tls = this.scenario.tls;
    if (!tls) {
      this.send(502, '5.5.1 Error: command not implemented', false);
      return callback();
    }
    if (command.toString().trim().split(/\s+/).length > 1 || this.secure) return super.handler_STARTTLS(command, callback);
    this.reportPipelinedAfterStarttls();
    const ready = [tls.ready].flat();
    if (this.injectedLines) {
      // One write: the injected lines must reach the client in the same segment as the 220.
      const payload = [...ready, ...this.injectedLines].map((line) => `${line}\r\n`).join('');
      this.record({ type: 'reply', code: Number(ready[0]!.slice(0, 3)), text: [...ready.map((l) => l.slice(4)), ...this.injectedLines].join('\n') });
      this._socket.write(payload);
    } else {
      this.send(Number(ready[0]!.slice(0, 3)), ready.length > 1 ? ready.map((l) => l.slice(4)) : ready[0]!.slice(4), false);
    }
    this.record({ type: 'starttls', engine: tls.engine });
    this.stopReadingForTls();
    void this.runFaults('TLS', '').then((handled) => {
      if (handled) return callback();
      this.armHandshakeTimer();
      this.upgrade(callback);
    });
  }

  /**
   * RFC 3207 §4.2: what a client sends after STARTTLS, in plaintext, before the handshake,
   * must be discarded (smtp-server does). A client that pipelines commands there can be
   * fooled by an attacker who injects commands the same way, so the events say so.
   */
  private reportPipelinedAfterStarttls(): void {
    const chunk = this.lastChunk?.toString('latin1') ?? '';
    const after = /STARTTLS\r?\n/i.exec(chunk);
    const rest = after ? chunk.slice(after.index + after[0].length) : '';
    if (!rest) return;
    this.record({
      type: 'warning',
      text: `client pipelined plaintext after STARTTLS (${JSON.stringify(clip(rest))}): discarded; a client that does this is open to STARTTLS command injection (RFC 3207 §4.2)`,
    });
  }

  /** From here on the raw socket belongs to TLS (or to a fault pretending to be it). */
  private stopReadingForTls(): void {
    // The TLS layer ends the session when the client ends it, as before.
    this._socket.allowHalfOpen = false;
    this._socket.off('data', this.tap);
    if (this._parser) {
      this._socket.unpipe(this._parser);
      this._parser.isClosed = true;
    }
    this._parser = this._createParser();
    this._upgrading = true;
    this._socket.pause();
  }

  /** Port-465 style: the TLS faults act at once, before any SMTP; then the handshake. */
  private startImplicitTls(): void {
    this._socket.allowHalfOpen = false;
    this._upgrading = true;
    // smtp-server's own socket listeners come with listen(); until then a reset or a close
    // from the client must still end the session (and never reach the process as an
    // unhandled 'error').
    const onError = (err: Error) => this._onError(err);
    const onClose = (hadError: boolean) => this._onCloseEvent(hadError);
    this._socket.on('error', onError);
    this._socket.once('close', onClose);
    void this.runFaults('TLS', '').then((handled) => {
      if (handled || this._closed) return;
      this._socket.off('error', onError);
      this._socket.off('close', onClose);
      this._upgrading = false;
      this.armHandshakeTimer();
      this.listen();
    });
  }

  // --- the scripted engine ------------------------------------------------------------

  /**
   * smtp-server's upgrade() with the scripted engine in place of Node's TLSSocket: the same
   * retired parser, the same session reset once the handshake is done (RFC 3207 §4.2).
   */
  override upgrade(callback: () => void, secureCallback?: () => void): void {
    const config = this.host.engine;
    if (!config) return super.upgrade(callback, secureCallback);
    if (this._parser) {
      this._socket.unpipe(this._parser);
      this._parser.isClosed = true;
    }
    this._parser = this._createParser();
    this._upgrading = true;
    setImmediate(callback);
    const raw = this._socket;
    raw.removeAllListeners();
    raw.on('error', (err) => this._onError(err));
    raw.once('end', () => (this.closedBy ??= 'client'));
    const secure: EngineSocket = new EngineSocket(raw, config, (event) => this.onEngineEvent(event, secure, secureCallback));
    secure.once('close', () => this._onCloseEvent(false));
    secure.on('error', (err) => this._onError(err));
    this._armTimeout(secure as never);
  }

  private onEngineEvent(event: EngineEvent, secure: EngineSocket, secureCallback?: () => void): void {
    switch (event.type) {
      case 'client-hello':
        this.lastSni = event.serverName;
        return this.record({
          type: 'tls-hello',
          version: event.version,
          offeredVersions: event.offeredVersions,
          suites: event.suites,
          ...(event.serverName ? { sni: event.serverName } : {}),
        });
      case 'alert-received':
        // A client may refuse the server's Finished after the engine counted the handshake done.
        if (event.fatal && this.tlsState && !this.engineDataSeen) {
          this.closedBy ??= 'client';
          return this.record({ type: 'tls-failed', clientAlert: event.alert, error: "the client refused the server's Finished" });
        }
        if (!this._upgrading || this.tlsOutcomeRecorded) return;
        if (!event.fatal && event.alert.code !== 0) return;
        this.tlsOutcomeRecorded = true;
        this.closedBy ??= 'client';
        return this.record({ type: 'tls-failed', clientAlert: event.alert, error: `the client ${event.fatal ? 'aborted' : 'closed'} the handshake after ${this.lastEngineStep ?? 'connecting'}` });
      case 'alert-sent':
        if (!event.fatal || this.tlsOutcomeRecorded) return;
        this.tlsOutcomeRecorded = true;
        this.closedBy ??= 'server';
        return this.record({ type: 'tls-failed', serverAlert: event.alert, error: event.reason });
      case 'stopped':
        return this.record({ type: 'tls-stopped', after: event.after });
      case 'step':
        this.lastEngineStep = event.step;
        return;
      case 'application-data':
        this.engineDataSeen = true;
        return;
      case 'handshake-complete': {
        if (!this._parser) return;
        this.session.secure = this.secure = true;
        this._socket = secure as never;
        this._upgrading = false;
        this.session.user = false;
        this.hostNameAppearsAs = false;
        this.openingCommand = false;
        this._resetSession();
        this.session.tlsOptions = this.tlsOptions = secure.getCipher() as never;
        const state = { protocol: event.version, cipher: event.suite.name };
        this.tlsEstablished(state);
        this.record({
          type: 'tls-established',
          ...state,
          keyExchange: { kind: 'DHE', group: this.host.engine!.group.name, bits: event.dhBits },
          ...(this.lastSni ? { sni: this.lastSni } : {}),
        });
        secure.pipe(this._parser as never);
        secureCallback?.();
        return;
      }
      default:
        return;
    }
  }

  private lastEngineStep: string | undefined;
  private engineDataSeen = false;
  private lastSni: string | undefined;
  /**
   * The handshake, whichever engine runs it, has tlsHandshakeTimeoutMs to finish from
   * here; a client that sends STARTTLS and then nothing must not hold the session until
   * the idle timeout. TLS faults run before this: their stalls are the scenario's.
   */
  private armHandshakeTimer(): void {
    clearTimeout(this.handshakeTimer);
    const ms = this.host.limits.tlsHandshakeTimeoutMs;
    this.handshakeTimer = setTimeout(() => {
      if (this._closed || this.tlsOutcomeRecorded) return;
      this.limitReached('tlsHandshakeTimeoutMs', `the TLS handshake did not finish within ${ms} ms`);
      this.abandonHandshake(`the TLS handshake timed out: not finished ${ms} ms after it began`);
    }, ms);
    this.handshakeTimer.unref();
  }

  override _onTimeout(): void {
    // smtp-server's own rule: the timeout only counts while the client owes us input.
    const waitingForUs = this._handlerPending || (this._dataStream && this._parser && !this._parser._dataMode);
    if (!this._closing && !waitingForUs) this.limitReached('idleTimeoutMs', 'nothing from the client for that long');
    if (this._upgrading && !this._closing) {
      return this.abandonHandshake(`the handshake stalled: nothing from the client for ${this.host.limits.idleTimeoutMs} ms (idle timeout)`);
    }
    super._onTimeout();
  }

  /**
   * Ends a session in the middle of a handshake. Nothing can be said there in plaintext (a
   * 421 would only be garbage to the client's TLS), so the session just ends, and says why.
   */
  private abandonHandshake(reason: string): void {
    if (!this.tlsOutcomeRecorded) {
      this.tlsOutcomeRecorded = true;
      this.record({ type: 'tls-failed', error: reason });
    }
    this.closedBy ??= 'server';
    this._socket.destroy();
  }

  private shuttingDown = false;

  /**
   * The server is stopping. A session in the middle of a message may finish it (the
   * server's closeTimeoutMs bounds how long); every other session gets 421 now.
   */
  shutDown(): void {
    if (this._closing || this._closed) return;
    if (this.inMessage) this.shuttingDown = true;
    else this.closeForShutdown();
  }

  private get inMessage(): boolean {
    return Boolean(this._dataStream) || Boolean(this._parser && this._parser._dataMode);
  }

  private closeForShutdown(): void {
    if (this._closing || this._closed) return;
    if (this._upgrading) return this.abandonHandshake('the server shut down during the handshake');
    this.closedBy ??= 'server';
    this.send(421, '4.3.2 Service shutting down, try again later', false);
    this.close();
  }

  private sessionTimeUp(): void {
    if (this._closing || this._closed) return;
    this.limitReached('maxSessionMs', `the session has been open for ${Date.now() - this.startedAt} ms`);
    if (this._upgrading) return this.abandonHandshake('the session time limit ended the handshake');
    this.closedBy ??= 'server';
    this.send(421, '4.4.2 Session time limit reached', false);
  }

  // --- faults --------------------------------------------------------------------------

  /**
   * The reply to the final `.` goes through smtp-server's onData callback, so faults at
   * END-OF-DATA answer through it rather than writing to the socket themselves.
   */
  finishData(answered: (err?: Error | null, message?: string) => void): void {
    const callback = this.owe(answered);
    const target: FaultTarget = {
      ...this.targetFor('END-OF-DATA', ''),
      reply: (code, lines) => {
        const text = lines.join(' ');
        if (code < 400) callback(null, text);
        else callback(Object.assign(new Error(text), { responseCode: code }));
      },
    };
    void this.runFaults('END-OF-DATA', '', target).then((handled) => {
      if (!handled) callback(null, 'Message accepted');
    });
  }

  /** Wraps the callback that answers a command: the answer is owed until it is called. */
  private owe<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    this.owed++;
    let paid = false;
    return (...args: A) => {
      if (!paid) {
        paid = true;
        this.owed--;
      }
      callback(...args);
      this.endIfAnswered();
    };
  }

  /** A client that has stopped writing gets its answers, then the server ends the session. */
  private endIfAnswered(): void {
    if (!this.clientEnded || this.owed > 0) return;
    // The next tick: a command pipelined behind the one just answered (QUIT) goes first.
    setImmediate(() => {
      if (this.owed === 0 && !this._closing && !this._closed) this.close();
    });
  }

  /** Applies the scenario's faults for a step, in file order; true when one took its place. */
  private async runFaults(step: Step, argument: string, target = this.targetFor(step, argument)): Promise<boolean> {
    const context: StepContext = {
      argument: step === 'MAIL' || step === 'RCPT' ? addressOf(argument) : argument,
      session: this.sessionNumber,
      clientAddress: this.remoteAddress,
      secure: this.secure,
      sender: this.session.envelope?.mailFrom ? this.session.envelope.mailFrom.address : '',
      recipient: step === 'RCPT' ? addressOf(argument) : '',
    };
    for (const [index, entry] of this.scenario.faults.entries()) {
      if (![entry.on].flat().includes(step)) continue;
      const fault = findFault(entry.fault);
      if (!fault || !applies(entry, index, context, this.host.faultState)) continue;
      const outcome = await fault.apply(target, entry as never);
      this.record({ type: 'fault', fault: entry.fault, step, detail: outcome.detail });
      if (outcome.serverAlert !== undefined && !this.tlsOutcomeRecorded) {
        this.tlsOutcomeRecorded = true;
        this.record({ type: 'tls-failed', serverAlert: alert(outcome.serverAlert), error: outcome.detail });
      }
      if (outcome.handled) return true;
      if (this._closing || this._closed) return true;
    }
    return false;
  }

  private targetFor(step: Step, argument: string): FaultTarget {
    return {
      step,
      argument,
      reply: (code, lines) => this.send(code, lines.length > 1 ? lines : lines[0], false),
      writeRaw: (bytes) => {
        this._socket.write(bytes);
      },
      close: () => {
        this.closedBy ??= 'server';
        this._socket.end();
        this.close();
        // A socket taken from the parser for TLS is paused; it has to read on (and drop
        // what comes) to see the client's FIN, or the session never ends.
        this._socket.resume();
      },
      reset: () => {
        this.closedBy ??= 'server';
        this._socket.resetAndDestroy();
      },
      idleTimeoutMs: this.host.limits.idleTimeoutMs,
      talkedEarly: () => this.clientTalkedEarly,
      dripNextReply: (msPerByte) => (this.dripMsPerByte = msPerByte),
      injectAfterReady: (lines) => (this.injectedLines = lines),
      readClientBytes: () =>
        new Promise<Buffer>((resolve) => {
          const socket = this._socket;
          const done = (chunk?: Buffer) => {
            socket.off('data', done);
            socket.off('close', done);
            resolve(chunk ?? Buffer.alloc(0));
          };
          socket.on('data', done);
          socket.once('close', done);
          socket.resume();
        }),
      serverFlight: (clientHello) => serverFlight(this._server.secureContext.get('*')!, clientHello),
      sleep: (ms) => this.sleep(ms),
    };
  }

  // --- TLS outcome and close -----------------------------------------------------------

  /** smtp-server reports the TLS error it rewrote; the original is kept in err.meta. */
  override _onError(err: Error & { code?: string; meta?: { message?: string } }): void {
    if (this._upgrading || err.meta?.message) {
      if (!this.tlsOutcomeRecorded) {
        this.tlsOutcomeRecorded = true;
        const clientAlert = alertFromOpenSslCode(err.code);
        const serverAlert = serverAlertFromOpenSslCode(err.code);
        this.record({ type: 'tls-failed', ...(clientAlert ? { clientAlert } : {}), ...(serverAlert ? { serverAlert } : {}), error: (err.meta?.message ?? err.message).trim() });
      }
      this.closedBy ??= 'client';
      this.close();
      return;
    }
    super._onError(err as never);
  }

  /** The TLS session, once the handshake is done. */
  tlsState: TlsState | undefined;

  tlsEstablished(state: TlsState): void {
    clearTimeout(this.handshakeTimer);
    this.tlsOutcomeRecorded = true;
    this.tlsState = state;
  }

  override close(): void {
    this.closedBy ??= 'server';
    super.close();
  }

  override _onClose(): void {
    if (!this._closed) {
      clearTimeout(this.sessionTimer);
      clearTimeout(this.handshakeTimer);
      for (const wake of [...this.sleeping]) wake();
      if (this._upgrading && !this.tlsOutcomeRecorded) {
        this.tlsOutcomeRecorded = true;
        this.record({ type: 'tls-failed', error: 'the connection closed during the TLS handshake, with no alert' });
      }
      this.record({ type: 'close', by: this.closedBy ?? 'client', durationMs: Date.now() - this.startedAt });
      // smtp-server never says that a connection is gone; the server's tables need to know.
      this.emit('close');
    }
    super._onClose();
  }
}

/**
 * Stops a command line longer than `limit()` bytes (its line ending included) before
 * smtp-server's parser holds it, so memory stays bounded however long the line: the
 * lines before it run as usual, `onTooLong` answers it once, the rest of it is dropped up
 * to its end, and the session goes on. A message's content (data mode) is not touched;
 * its size is bounded by maxMessageBytes.
 */
function guardLineLength(parser: SMTPStream, limit: () => number, onTooLong: (bytes: number, complete: boolean) => void): void {
  const write = parser._write.bind(parser);
  let skipping = false;
  type Next = (error?: Error | null) => void;
  const guarded = (chunk: Buffer, encoding: BufferEncoding | 'buffer', next: Next): void => {
    if (parser._dataMode || parser.isClosed || !chunk?.length) return write(chunk, encoding, next);
    if (skipping) {
      const end = chunk.indexOf(0x0a);
      if (end < 0) return next();
      skipping = false;
      return end + 1 < chunk.length ? guarded(chunk.subarray(end + 1), encoding, next) : next();
    }
    const max = limit();
    let start = 0;
    let carried = parser._remainder.length;
    let end: number;
    let bytes: number;
    for (;;) {
      end = chunk.indexOf(0x0a, start);
      bytes = carried + (end < 0 ? chunk.length : end + 1) - start;
      // A line with no end yet that has reached the limit passes it with its line feed.
      if (end < 0 ? bytes >= max : bytes > max) break;
      if (end < 0 || end + 1 === chunk.length) return write(chunk, encoding, next);
      start = end + 1;
      carried = 0;
    }
    const drop = (): void => {
      parser._remainder = '';
      onTooLong(bytes, end >= 0);
      if (end < 0) {
        skipping = true;
        return next();
      }
      return end + 1 < chunk.length ? guarded(chunk.subarray(end + 1), encoding, next) : next();
    };
    if (start === 0) return drop();
    // The complete lines before it first; one of them may have been DATA, and then the
    // long line is message content after all.
    write(chunk.subarray(0, start), encoding, (error) => {
      if (error) return next(error);
      if (parser._dataMode || parser.isClosed) return guarded(chunk.subarray(start), encoding, next);
      drop();
    });
  };
  parser._write = guarded;
}

/** AUTH secrets never reach an event: the mechanism stays, the rest is masked. */
function redact(name: string, line: string, continuation: boolean): string {
  if (continuation) return '(redacted)';
  if (name === 'AUTH') {
    const [, mechanism, initial] = line.split(/\s+/);
    return `AUTH ${mechanism ?? ''}${initial ? ' (redacted)' : ''}`.trimEnd();
  }
  return line;
}

/** A reply as smtp-server writes it (enhanced status codes are off). */
function formatReply(code: number, data: SmtpReplyData | undefined): string {
  const lines = Array.isArray(data) ? data : [data ?? ''];
  return lines.map((line, i) => `${code}${i < lines.length - 1 ? '-' : ' '}${line}`).join('\r\n') + '\r\n';
}

const MAX_EVENT_LINE = 512;

/** Events keep what a client sent, but never more than a line's worth of it. */
function clip(line: string): string {
  return line.length > MAX_EVENT_LINE ? `${line.slice(0, MAX_EVENT_LINE)}… (${line.length} characters)` : line;
}
