// One session of the sender on a real socket: the thin part that does IO around the
// sans-IO machine (machine.ts). It connects, feeds the machine the receiver's bytes,
// carries out its actions in order (a drip takes its time), runs the TLS handshake, and
// bounds every wait by the timeout.
import { connect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { SessionEventInput } from '../events.js';
import type { ClientEngineEvent, ClientScript } from '../tls/engine/client.js';
import { scriptedHello, type ScriptedHelloSpec } from '../tls/engine/client-hello.js';
import { startClientTls, startScriptedHello, type ClientTlsOptions, type ClientTlsResult } from '../tls/engine/client-socket.js';
import { SenderMachine, type MachineOutput, type SenderAction, type SessionSummary } from './machine.js';
import type { SessionPlan } from './plan.js';
import { NotSmtpError } from '../smtp/reply-reader.js';

export interface SessionOptions {
  host: string;
  port: number;
  plan: SessionPlan;
  tls: SenderTls;
  /** How long any wait may last: the connection, each reply, the handshake. */
  timeoutMs: number;
  record(event: SessionEventInput): void;
}

/** Node's TLS client (scripted on the server's flight), or the scripted client's own hello. */
export type SenderTls = { engine: 'node'; options: ClientTlsOptions } | { engine: 'scripted'; hello: ScriptedHelloSpec; script: ClientScript };

/** The receiver could not be talked to at all: no connection, no greeting, no SMTP. */
export class SendError extends Error {}

export function runSession(options: SessionOptions): Promise<SessionSummary> {
  return new Promise((resolve, reject) => new SessionRunner(options, resolve, reject).start());
}

class SessionRunner {
  private readonly machine: SenderMachine;
  private readonly startedAt = Date.now();
  private raw!: Socket;
  private socket: Socket | TLSSocket | undefined;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closing: 'client' | 'server' | undefined;
  private ended = false;

  constructor(
    private readonly options: SessionOptions,
    private readonly resolve: (summary: SessionSummary) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.machine = new SenderMachine(options.plan);
  }

  start(): void {
    const { host, port } = this.options;
    const raw = connect({ host, port });
    this.raw = raw;
    this.arm(`no connection to ${host}:${port} within ${this.options.timeoutMs} ms`);
    raw.once('connect', () => {
      this.socket = raw;
      this.options.record({ type: 'connect', remoteAddress: raw.remoteAddress ?? host, remotePort: raw.remotePort ?? port, localPort: raw.localPort ?? 0 });
      this.arm(`${host}:${port} sent no greeting within ${this.options.timeoutMs} ms`);
      raw.on('data', this.onPlainData);
      this.apply(this.machine.start());
    });
    raw.on('error', (error: NodeJS.ErrnoException) => {
      if (!this.socket) return this.fail(new SendError(`cannot connect to ${host}:${port}: ${error.code ?? error.message}`));
      // A receiver that resets the connection once the sender is leaving says nothing new.
      if (this.closing) return;
      this.options.record({ type: 'warning', text: `socket error: ${error.code ?? error.message}` });
    });
    raw.once('close', () => this.onClose());
  }

  private readonly onPlainData = (chunk: Buffer): void => {
    this.arm(`${this.options.host}:${this.options.port} stopped answering for ${this.options.timeoutMs} ms`);
    this.feed(chunk);
  };

  private feed(chunk: Buffer): void {
    try {
      this.apply(this.machine.receive(chunk));
    } catch (error) {
      if (!(error instanceof NotSmtpError)) throw error;
      if (!this.machine.answered) return this.fail(new SendError(`${this.options.host}:${this.options.port} does not speak SMTP: ${error.message}`));
      this.options.record({ type: 'warning', text: `the receiver stopped speaking SMTP: ${error.message}` });
      this.closeNow('client');
    }
  }

  /** Events now; actions one after another, since a drip takes its time. */
  private apply({ events, actions }: MachineOutput): void {
    for (const event of events) this.options.record(event);
    for (const action of actions) this.queue = this.queue.then(() => this.perform(action));
  }

  private async perform(action: SenderAction): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed || this.ended) return;
    if (action.type === 'close') {
      this.closing ??= 'client';
      socket.end();
      // A receiver that never closes its side is not waited for.
      setTimeout(() => this.raw.destroy(), 1000).unref();
      return;
    }
    if (action.type === 'start-tls') return this.startTls();
    if (!action.msPerByte) {
      socket.write(action.bytes);
      return;
    }
    for (const byte of action.bytes) {
      if (socket.destroyed || this.ended) return;
      socket.write(Buffer.of(byte));
      this.arm(`${this.options.host}:${this.options.port} stopped answering for ${this.options.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, action.msPerByte));
    }
  }

  private async startTls(): Promise<void> {
    const raw = this.raw;
    raw.off('data', this.onPlainData);
    const tls = this.options.tls;
    this.options.record({ type: 'starttls', engine: tls.engine });
    this.arm(`the TLS handshake with ${this.options.host}:${this.options.port} did not end within ${this.options.timeoutMs} ms`);
    const seen: string[] = [];
    const onEvent = (event: ClientEngineEvent) => {
      if (event.type === 'step') seen.push(event.step);
      if (event.type === 'server-hello') seen.push(`(${event.version}, ${event.suite})`);
      if (event.type === 'stopped') this.options.record({ type: 'tls-stopped', after: event.after });
    };
    let result: ClientTlsResult;
    if (tls.engine === 'scripted') {
      const hello = scriptedHello(tls.hello);
      this.options.record({ type: 'tls-hello', version: hello.version, offeredVersions: hello.offered, suites: hello.suites, ...(tls.hello.serverName ? { sni: tls.hello.serverName } : {}) });
      result = await startScriptedHello(raw, hello.message, { script: tls.script, onEvent });
    } else {
      result = await startClientTls(raw, { ...tls.options, onEvent });
    }
    if (!result.established) {
      const flight = seen.length ? `; the server sent ${seen.join(' ')}` : '';
      this.options.record({ type: 'tls-failed', error: `${result.error}${flight}`, ...(result.clientAlert ? { clientAlert: result.clientAlert } : {}), ...(result.serverAlert ? { serverAlert: result.serverAlert } : {}) });
      this.closing ??= result.clientAlert || /^scripted/.test(result.error) ? 'client' : 'server';
      this.apply(this.machine.tlsDone(false));
      return;
    }
    const secure = result.socket;
    this.socket = secure;
    this.options.record({ type: 'tls-established', protocol: result.protocol, cipher: result.cipher });
    secure.on('data', (chunk: Buffer) => {
      this.arm(`${this.options.host}:${this.options.port} stopped answering for ${this.options.timeoutMs} ms`);
      this.feed(chunk);
    });
    secure.on('error', (error) => this.options.record({ type: 'warning', text: `TLS error: ${error.message}` }));
    this.apply(this.machine.tlsDone(true));
  }

  /** (Re)starts the timeout for the wait now begun. */
  private arm(reason: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimeout(reason), this.options.timeoutMs);
  }

  private onTimeout(reason: string): void {
    if (this.ended) return;
    if (!this.machine.answered) return this.fail(new SendError(reason));
    this.options.record({ type: 'limit', limit: 'timeoutMs', value: this.options.timeoutMs, detail: reason });
    this.closeNow('client');
  }

  private closeNow(by: 'client' | 'server'): void {
    this.closing ??= by;
    this.raw.destroy();
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.raw.destroy();
    this.reject(error);
  }

  private onClose(): void {
    clearTimeout(this.timer);
    if (this.ended) return;
    if (!this.socket) return this.fail(new SendError(`cannot connect to ${this.options.host}:${this.options.port}`));
    const by = this.closing ?? 'server';
    this.apply(this.machine.closed(by));
    this.ended = true;
    this.options.record({ type: 'close', by, durationMs: Date.now() - this.startedAt });
    this.resolve(this.machine.summary);
  }
}
