// One SMTP session, as the scenario bends it. smtp-server speaks correct SMTP; where its
// hooks (internals.ts) call, this class decides: the phase the session is in
// (session-phase.ts), the faults at each step (fault-runner.ts), STARTTLS and the engine's
// handshake (starttls.ts), and the one TLS outcome (tls-outcome.ts).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SMTPServer } from 'smtp-server';
import type { Party, SessionEventInput } from '../events.js';
import type { Limits } from '../limits.js';
import { alertFromOpenSslCode, serverAlertFromOpenSslCode } from '../tls/node/errors.js';
import { CallbackAnswers } from './answers.js';
import { Chunking } from './chunking.js';
import { ehloReply } from './ehlo.js';
import { commandText } from './event-text.js';
import { FaultRunner } from './fault-runner.js';
import { faultTarget, type TargetSession } from './fault-target.js';
import { LibraryConnection, type SMTPConnectionOptions, type TLSError } from './internals.js';
import { formatReply } from './reply.js';
import { Pacing } from './pacing.js';
import type { ServedScenario } from './served-scenario.js';
import { LINES, SessionPhase } from './session-phase.js';
import { agreeToStartTls, EngineHandshake } from './starttls.js';
import { stepOfCommand } from './steps.js';
import { nodeTlsDetails, TlsOutcome, type EstablishedDetails } from './tls-outcome.js';

export class BrokenConnection extends LibraryConnection {
  readonly sessionNumber: number;
  readonly tls: TlsOutcome;
  private readonly served: ServedScenario;
  private readonly phase: SessionPhase;
  private readonly faults: FaultRunner;
  private readonly startedAt = Date.now();
  private closedBy: Party | undefined;
  private ehloPending = false;
  private clientTalkedEarly = false;
  private dripMsPerByte: number | undefined;
  private injectedLines: string[] | undefined;
  /** The steps smtp-server answers through its callbacks: a message's end, credentials. */
  readonly answered: CallbackAnswers;
  private readonly chunking: Chunking | undefined;
  /** The last chunk the client sent in plaintext, to see what came with STARTTLS. */
  private lastChunk: Buffer | undefined;
  private readonly tap = (chunk: Buffer) => (this.lastChunk = chunk);
  private readonly pacing = new Pacing(() => this.gone);
  private sessionTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(server: SMTPServer, socket: Socket, options: SMTPConnectionOptions | undefined, served: ServedScenario) {
    // The session number is the id too: unique per server, and cheaper than smtp-server's random one.
    const sessionNumber = served.nextSessionNumber();
    super(server, socket, { ...options, id: String(sessionNumber) });
    this.served = served;
    this.sessionNumber = sessionNumber;
    this.phase = new SessionPhase(served.scenario.tls?.implicit ? 'implicit' : 'starttls');
    this.tls = new TlsOutcome((event) => this.record(event));
    this.faults = new FaultRunner(served.faults, served.faultState, {
      sessionNumber,
      tls: this.tls,
      clientAddress: () => this.remoteAddress,
      secure: () => this.secure,
      sender: () => (this.session.envelope?.mailFrom ? this.session.envelope.mailFrom.address : ''),
      authenticated: () => Boolean(this.session.user),
      pipelined: () => this.pipelined,
      content: () => this.answered.content(),
      ending: () => this.ending,
      record: (event) => this.record(event),
      target: (step, argument) => faultTarget(this.targetSession, step, argument),
    });
    this.answered = new CallbackAnswers(this.faults, (event) => this.record(event));
    const { chunking, size } = served.scenario.smtp;
    if (chunking) this.chunking = new Chunking(this.chunkWire(), this.faults, (code, text) => this.send(code, text, false), size ?? served.limits.maxMessageBytes);
  }

  /** What the session's faults act on. */
  private readonly targetSession: TargetSession = {
    socket: () => this.socket,
    send: (code, lines) => this.send(code, lines.length > 1 ? lines : lines[0], false),
    answerFor: (step) => this.answered.answerFor(step),
    recipients: () => this.recipients,
    close: () => {
      this.closedBy ??= 'server';
      this.socket.end();
      this.close();
      // A socket taken from the parser for TLS is paused; it has to read on (and drop
      // what comes) to see the client's FIN, or the session never ends.
      this.socket.resume();
    },
    reset: () => {
      this.closedBy ??= 'server';
      this.socket.resetAndDestroy();
    },
    sleep: (ms) => this.pacing.sleep(ms),
    idleTimeoutMs: () => this.served.limits.idleTimeoutMs,
    talkedEarly: () => this.clientTalkedEarly,
    dripNextReply: (msPerByte) => (this.dripMsPerByte = msPerByte),
    injectAfterReady: (lines) => (this.injectedLines = lines),
    secureContext: () => this.secureContext,
  };

  private record(event: SessionEventInput): void {
    this.served.record(this.sessionNumber, event);
  }

  private limitReached(limit: keyof Limits, detail: string): void {
    this.record({ type: 'limit', limit, value: this.served.limits[limit], detail });
  }

  override init(): void {
    this.record({ type: 'connect', remoteAddress: this.remoteAddress, remotePort: this.remotePort, localPort: this.localPort });
    // A peer that closes first shows up as 'end' on the raw socket before 'close'.
    this.socket.once('end', () => (this.closedBy ??= 'client'));
    // However busy a session keeps itself (a byte now and then resets the idle timeout),
    // it ends at maxSessionMs.
    this.sessionTimer = setTimeout(() => this.sessionTimeUp(), this.served.limits.maxSessionMs);
    this.sessionTimer.unref();
    if (this.phase.now === 'handshake') return this.startImplicitTls();
    this.socket.on('data', this.tap);
    // smtp-server waits 100 ms before every greeting to catch clients that talk first;
    // that pause capped a 20-client load at 200 sessions/s. Catching early talkers is a
    // scenario's choice here (a fault at CONNECT), so the greeting goes out at once.
    this.listenWithinLimits();
  }

  private listenWithinLimits(): void {
    this.listen(() => {
      const { maxClients, openConnections } = this;
      if (maxClients && openConnections > maxClients) {
        this.limitReached('maxConnections', `${openConnections} sessions open`);
        return this.send(421, `${this.served.hostname} Too many connected clients, try again in a moment`, false);
      }
      const fromHere = this.connectionsFrom(this.remoteAddress);
      if (fromHere > this.served.limits.maxConnectionsPerClient) {
        this.limitReached('maxConnectionsPerClient', `${fromHere} sessions open from ${this.remoteAddress}`);
        return this.send(421, '4.7.0 Too many connections from your address', false);
      }
      this.beginSession();
    });
  }

  // --- replies -------------------------------------------------------------------------

  override send(code: number, data?: string | string[], context?: string | false): void {
    // smtp-server's words for a message it cuts off at shutdown: ours, with 4.3.2, as idle sessions get.
    if (code === 421 && data === 'Server shutting down') [data, context] = ['4.3.2 Service shutting down, try again later', false];
    if (this.ehloPending && code === 250 && Array.isArray(data)) {
      data = ehloReply(data, this.served.scenario.smtp, this.secure);
      this.ehloPending = false;
    }
    const lines = Array.isArray(data) ? data : [data ?? ''];
    const willWrite = this.canReply;
    if (willWrite) this.record({ type: 'reply', code, text: lines.join('\n') });
    if (code === 421) this.closedBy ??= 'server';
    if (this.dripMsPerByte && willWrite) {
      const msPerByte = this.dripMsPerByte;
      this.dripMsPerByte = undefined;
      return void this.pacing.drip(this.socket, formatReply(code, lines), msPerByte).then(() => code === 421 && this.close());
    }
    super.send(code, data, context);
    // The reply to a message that was under way when the server began to stop: now it may go.
    if (this.phase.now === 'closing' && code !== 354) setImmediate(() => !this.inMessage && this.closeForShutdown());
  }

  protected greet(): void {
    const greeted = () => this.phase.move('greeted');
    const greeting = this.served.scenario.smtp.greeting;
    this.faults.runStep(
      'CONNECT',
      '',
      () => {
        if (!greeting) this.libraryGreeting();
        else this.send(220, greeting.slice(4).replaceAll('{hostname}', this.served.hostname), false);
        greeted();
      },
      greeted,
    );
  }

  // --- commands ------------------------------------------------------------------------

  protected onCommandLine(command: Buffer, done: () => void): void {
    const line = command.toString();
    const name = line.split(' ')[0]!.toUpperCase();
    switch (LINES[this.phase.now]) {
      case 'dropped':
        // Plaintext after STARTTLS; smtp-server drops it (the pipelining warning says so).
        return this.runCommand(command, done);
      case 'noted':
        // A fault at CONNECT is still running (a pause, a tarpit): the line is noted, not
        // answered, as sendmail's greet_pause does; the fault decides what follows.
        this.clientTalkedEarly = true;
        this.record({ type: 'command', step: 'CONNECT', line: commandText(name, line, false) });
        return done();
      case 'run':
        break;
    }
    const continuation = this.inAuthExchange;
    const step = continuation ? undefined : stepOfCommand(name);
    this.record({ type: 'command', step: continuation ? 'AUTH' : (step ?? name), line: commandText(name, line, continuation) });
    if (!step || !this.takesCommands) return this.runCommand(command, done);
    this.faults.runStep(step, line.slice(name.length).trim(), (instead) => this.runCommand(instead === undefined ? command : Buffer.from(instead), done), done);
  }

  protected onRecipient(command: Buffer, next: () => void): void {
    // Checked before smtp-server's own handling, which would answer 452 without the
    // enhanced code; faults at RCPT have already had their turn.
    const address = this.newRecipient(command);
    const already = this.session.envelope?.rcptTo.length ?? 0;
    if (address !== undefined && already >= this.served.limits.maxRecipients) {
      this.limitReached('maxRecipients', `recipient <${address}> refused: ${already} already in this message`);
      this.send(452, '4.5.3 Too many recipients', false);
      return next();
    }
    this.acceptRecipient(command, next);
  }

  protected onBdat(command: Buffer, next: () => void): void {
    this.chunking!.command(command.toString(), next); // server.ts disables BDAT for a scenario without chunking
  }

  protected maxLineBytes(): number {
    return this.served.limits.maxLineBytes;
  }

  protected onLineTooLong(bytes: number, complete: boolean): void {
    this.limitReached('maxLineBytes', complete ? `a line of ${bytes} bytes` : `a line of ${bytes} bytes and no end yet; the rest of it is dropped`);
    this.send(500, '5.5.2 Line too long', false);
  }

  protected onEhlo(command: Buffer, next: () => void): void {
    this.ehloPending = true;
    this.libraryEhlo(command, next);
  }

  // --- STARTTLS and implicit TLS ---------------------------------------------------------

  protected onStartTls(command: Buffer, next: () => void): void {
    const tls = this.served.scenario.tls;
    if (!tls) {
      this.send(502, '5.5.1 Error: command not implemented', false);
      return next();
    }
    if (command.toString().trim().split(/\s+/).length > 1 || this.secure) return this.libraryStartTls(command, next);
    agreeToStartTls(tls, this.lastChunk, this.injectedLines, {
      record: (event) => this.record(event),
      write: (bytes) => void this.socket.write(bytes),
      reply: (code, lines) => this.send(code, lines.length > 1 ? lines : lines[0], false),
    });
    // From here on the raw socket belongs to TLS (or to a fault pretending to be it).
    this.phase.move('starttls');
    this.socket.off('data', this.tap);
    this.retireParser();
    this.socket.pause();
    this.faults.runStep('TLS', '', () => this.beginHandshake(() => this.upgrade(next)), next);
  }

  /** Port-465 style: the TLS faults act at once, before any SMTP; then the handshake. */
  private startImplicitTls(): void {
    // smtp-server's own socket listeners come with listen(); until then a reset or a close
    // from the client must still end the session (and never reach the process as an
    // unhandled 'error').
    const release = this.holdForTls();
    this.faults.runStep('TLS', '', () => this.beginHandshake(() => (release(), this.listenWithinLimits())));
  }

  /**
   * The handshake, whichever engine runs it, has tlsHandshakeTimeoutMs to finish from
   * here; a client that sends STARTTLS and then nothing must not hold the session until
   * the idle timeout. TLS faults run before this: their stalls are the scenario's.
   */
  private beginHandshake(start: () => void): void {
    const ms = this.served.limits.tlsHandshakeTimeoutMs;
    this.handshakeTimer = setTimeout(() => {
      if (this.gone || this.tls.settled) return;
      this.limitReached('tlsHandshakeTimeoutMs', `the TLS handshake did not finish within ${ms} ms`);
      this.abandonHandshake(`the TLS handshake timed out: not finished ${ms} ms after it began`);
    }, ms);
    this.handshakeTimer.unref();
    start();
  }

  /** Node's TLS or the scripted engine, as the scenario says. */
  protected onUpgrade(next: () => void, secured?: () => void): void {
    const config = this.served.engine;
    if (!config) return this.upgradeOnNode(next, secured);
    const handshake = new EngineHandshake({
      phase: this.phase,
      tls: this.tls,
      groupName: config.group.name,
      record: (event) => this.record(event),
      endedBy: (party) => (this.closedBy ??= party),
      switchTo: (secure, serverName) => this.engineHandshakeDone(secure, serverName),
      established: (details) => {
        this.tlsEstablished(details);
        secured?.();
      },
    });
    const secure = this.upgradeOnEngine(config, (event, socket) => handshake.on(event, socket), next);
    secure.raw.once('end', () => (this.closedBy ??= 'client'));
  }

  /** Node's handshake is done (server.ts's onSecure asks, a second time for implicit TLS). */
  nodeHandshakeDone(socket: TLSSocket): void {
    const details = nodeTlsDetails(socket, Boolean(this.served.scenario.tls?.clientCert));
    // No cipher: the client closed right after the handshake; its close follows.
    if (!details) return this.handshakeOver();
    this.tlsEstablished(details);
  }

  private tlsEstablished(details: EstablishedDetails): void {
    if (this.tls.established(details)) this.handshakeOver();
  }

  private handshakeOver(): void {
    clearTimeout(this.handshakeTimer);
    this.phase.move('established');
  }

  // --- endings -------------------------------------------------------------------------

  protected onIdleTimeout(): void {
    if (!this.closeBegun && this.clientOwesInput) this.limitReached('idleTimeoutMs', 'nothing from the client for that long');
    if (this.phase.now === 'handshake' && !this.closeBegun) {
      return this.abandonHandshake(`the handshake stalled: nothing from the client for ${this.served.limits.idleTimeoutMs} ms (idle timeout)`);
    }
    this.libraryIdleTimeout();
  }

  /**
   * Ends a session in the middle of a handshake. Nothing can be said there in plaintext (a
   * 421 would only be garbage to the client's TLS), so the session just ends, and says why.
   */
  private abandonHandshake(reason: string): void {
    this.tls.failed({ error: reason });
    this.closedBy ??= 'server';
    this.socket.destroy();
  }

  /** Cuts the session now, whatever it is doing (the socket on top: one that TLS wrapped no longer owns its handle). */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * The server is stopping. A session in the middle of a message may finish it (the
   * server's closeTimeoutMs bounds how long); every other session gets 421 now.
   */
  shutDown(): void {
    if (this.ending) return;
    if (this.inMessage) this.phase.move('stop');
    else this.closeForShutdown();
  }

  private closeForShutdown(): void {
    if (this.ending) return;
    if (this.phase.now === 'handshake') return this.abandonHandshake('the server shut down during the handshake');
    this.closedBy ??= 'server';
    this.send(421, '4.3.2 Service shutting down, try again later', false);
    this.close();
  }

  private sessionTimeUp(): void {
    if (this.ending) return;
    this.limitReached('maxSessionMs', `the session has been open for ${Date.now() - this.startedAt} ms`);
    if (this.phase.now === 'handshake') return this.abandonHandshake('the session time limit ended the handshake');
    this.closedBy ??= 'server';
    this.send(421, '4.4.2 Session time limit reached', false);
  }

  /** smtp-server reports the TLS error it rewrote; the original is kept in err.meta. */
  protected onSocketError(err: TLSError): void {
    if (this.phase.now !== 'handshake' && !err.meta?.message) return this.librarySocketError(err);
    const clientAlert = alertFromOpenSslCode(err.code);
    const serverAlert = serverAlertFromOpenSslCode(err.code);
    this.tls.failed({ ...(clientAlert ? { clientAlert } : {}), ...(serverAlert ? { serverAlert } : {}), error: (err.meta?.message ?? err.message).trim() });
    this.closedBy ??= 'client';
    this.close();
  }

  override close(): void {
    this.closedBy ??= 'server';
    super.close();
  }

  protected onClosed(): void {
    clearTimeout(this.sessionTimer);
    clearTimeout(this.handshakeTimer);
    this.pacing.wakeAll();
    if (this.phase.now === 'handshake') this.tls.failed({ error: 'the connection closed during the TLS handshake, with no alert' });
    this.phase.move('closed');
    this.record({ type: 'close', by: this.closedBy ?? 'client', durationMs: Date.now() - this.startedAt });
    // smtp-server never says that a connection is gone; the server's tables need to know.
    this.emit('close');
  }
}
