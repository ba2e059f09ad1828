// The scripted TLS client: the mirror of the scripted server engine (engine.ts), sans-IO.
// Bytes from the server in, events and bytes for the server out; no sockets, no timers.
// It reads the server's first flight, message by message, and misbehaves where its script
// says: a fatal alert, a FIN or silence right after any message of that flight (after
// ServerHello, on CertificateRequest...).
//
// It runs in one of two modes:
// - watch: Node's TLS client writes the ClientHello and completes the handshake; this
//   engine reads a copy of what the server sends until the server's ChangeCipherSpec (or
//   its first encrypted record), and acts before Node sees the message it is scripted on.
// - hello: the engine writes a ClientHello of its own (for what OpenSSL 3's client will not
//   offer) and reads the server's answer; it completes no handshake, so after the
//   server's flight it ends the connection with a user_canceled alert (90).
//
// The rules, all of them here:
// - The engine is in one state of TRANSITIONS. An input (a handshake message by type,
//   ChangeCipherSpec, application data) its state's row does not list: in watch mode the
//   engine stops watching (Node judges the handshake); in hello mode it ends the connection
//   with a fatal unexpected_message (10).
// - Alerts are read in every state; a fatal one from the server ends the connection (in
//   watch mode Node reads it too, and reports it in its own words).
// - Bytes that do not parse as TLS records end the watching (watch mode), or the
//   connection with the alert that names the problem (hello mode).
// - The script acts right after the step it names: `alertAfter` sends a fatal alert and
//   closes, `closeAfter` closes without a word, `stopAfter` goes silent.
import { ALERT, alert as describeAlert, type TlsAlert } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { HandshakeReader, HandshakeType, parseServerHello } from './messages.js';
import { describeSuite, versionName } from './suites.js';
import { ContentType, encodeRecord, RecordReader, type TlsRecord } from './records.js';

/** The messages of a server's first flight (TLS 1.0-1.2), in the order it sends them. */
export const SERVER_FLIGHT_STEPS = ['ServerHello', 'Certificate', 'ServerKeyExchange', 'CertificateRequest', 'ServerHelloDone'] as const;
export type ServerFlightStep = (typeof SERVER_FLIGHT_STEPS)[number];

export interface ClientScript {
  /** Send this fatal alert right after the server's message, then close. */
  alertAfter?: { step: ServerFlightStep; alert: number };
  /** Close the connection (FIN, no alert) right after the server's message. */
  closeAfter?: ServerFlightStep;
  /** Send nothing more after the server's message, and read on in silence. */
  stopAfter?: ServerFlightStep;
}

export interface ClientEngineConfig {
  mode: 'watch' | 'hello';
  script?: ClientScript;
  /** (hello mode) The ClientHello handshake message to send, header included. */
  clientHello?: Buffer;
}

export type ClientEngineState = 'wait-server-hello' | 'wait-flight' | 'flight-done' | 'encrypted' | 'silent' | 'closed';

type Input = ServerFlightStep | 'ChangeCipherSpec' | 'ApplicationData' | 'OtherHandshake';

/** What each state accepts, and the state it leads to. */
const TRANSITIONS: Readonly<Record<ClientEngineState, Partial<Record<Input, ClientEngineState>>>> = {
  'wait-server-hello': { ServerHello: 'wait-flight' },
  'wait-flight': {
    Certificate: 'wait-flight',
    ServerKeyExchange: 'wait-flight',
    CertificateRequest: 'wait-flight',
    ServerHelloDone: 'flight-done',
    // TLS 1.3: everything after the ServerHello is encrypted.
    ChangeCipherSpec: 'encrypted',
    ApplicationData: 'encrypted',
  },
  'flight-done': { ChangeCipherSpec: 'encrypted', ApplicationData: 'encrypted' },
  encrypted: {},
  silent: {},
  closed: {},
};

export type ClientEngineEvent =
  | { type: 'step'; step: ServerFlightStep }
  /** What the server chose, from its ServerHello. */
  | { type: 'server-hello'; version: string; suite: string }
  | { type: 'alert-received'; alert: TlsAlert; fatal: boolean }
  | { type: 'alert-sent'; alert: TlsAlert; reason: string }
  /** The script closed the connection (closeAfter), or hello mode reached its end. */
  | { type: 'closing'; reason: string }
  | { type: 'stopped'; after: ServerFlightStep }
  /** Watch mode: from here on the server's records are Node's alone. */
  | { type: 'watch-ended'; reason: string };

export interface ClientEngineOutput {
  events: ClientEngineEvent[];
  /** Bytes for the server, in order. */
  bytes: Buffer;
  /**
   * What the connection does now: go on (watch mode: hand the bytes to Node), close it
   * after `bytes`, or stay open and silent.
   */
  action: 'continue' | 'close' | 'silence';
}

const STEP_BY_TYPE = new Map<number, ServerFlightStep>(SERVER_FLIGHT_STEPS.map((step) => [HandshakeType[step], step]));

export class TlsClientEngine {
  private stateNow: ClientEngineState = 'wait-server-hello';
  private readonly records = new RecordReader();
  private readonly handshakes = new HandshakeReader();
  private readonly script: ClientScript;
  private events: ClientEngineEvent[] = [];
  private out: Buffer[] = [];
  private action: ClientEngineOutput['action'] = 'continue';

  constructor(private readonly config: ClientEngineConfig) {
    this.script = config.script ?? {};
    if (config.mode === 'hello' && !config.clientHello) throw new Error('hello mode needs a ClientHello');
  }

  /** A getter, not a comparison, because the state changes under TypeScript's narrowing. */
  private get done(): boolean {
    return this.stateNow === 'closed' || this.stateNow === 'encrypted';
  }

  get state(): ClientEngineState {
    return this.stateNow;
  }

  /** (hello mode) The ClientHello, in one record. */
  start(): ClientEngineOutput {
    return this.run(() => {
      if (this.config.mode !== 'hello') return;
      // Record version 0x0301, as clients write their first record for the widest reach.
      this.out.push(encodeRecord(ContentType.Handshake, 0x0301, this.config.clientHello!));
    });
  }

  /** Bytes from the server. */
  receive(bytes: Buffer): ClientEngineOutput {
    return this.run(() => {
      if (this.done) return;
      for (const record of this.records.push(bytes)) {
        this.onRecord(record);
        if (this.done) return;
      }
    });
  }

  private run(body: () => void): ClientEngineOutput {
    try {
      body();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (this.config.mode === 'watch') this.endWatch(`unreadable: ${reason}`);
      else this.fail(error instanceof AlertError ? error.alert : ALERT.internalError, reason);
    }
    const output = { events: this.events, bytes: Buffer.concat(this.out), action: this.action };
    this.events = [];
    this.out = [];
    this.action = this.stateNow === 'silent' ? 'silence' : this.stateNow === 'closed' && this.config.mode === 'hello' ? 'close' : 'continue';
    return output;
  }

  private endWatch(reason: string): void {
    this.stateNow = 'encrypted';
    this.events.push({ type: 'watch-ended', reason });
  }

  private fail(alertNumber: number, reason: string): void {
    if (this.stateNow === 'closed') return;
    this.out.push(encodeRecord(ContentType.Alert, 0x0303, Buffer.of(2, alertNumber)));
    this.events.push({ type: 'alert-sent', alert: describeAlert(alertNumber), reason });
    this.stateNow = 'closed';
    this.action = 'close';
  }

  private transition(input: Input): void {
    const next = TRANSITIONS[this.stateNow][input];
    if (next) {
      this.stateNow = next;
      if (next === 'encrypted') this.events.push({ type: 'watch-ended', reason: `the server sent ${input}: the rest is encrypted` });
      return;
    }
    if (this.config.mode === 'watch') return this.endWatch(`${input} in state ${this.stateNow}`);
    throw new AlertError(`unexpected ${input} in state ${this.stateNow}`, ALERT.unexpectedMessage);
  }

  private onRecord(record: TlsRecord): void {
    if (record.type === ContentType.Alert) return this.onAlert(record.fragment);
    if (this.stateNow === 'silent') return;
    if (record.type === ContentType.ChangeCipherSpec) return this.transition('ChangeCipherSpec');
    if (record.type === ContentType.ApplicationData) return this.transition('ApplicationData');
    for (const message of this.handshakes.push(record.fragment)) {
      const step = STEP_BY_TYPE.get(message.type);
      this.transition(step ?? 'OtherHandshake');
      if (!step || this.done) return;
      this.events.push({ type: 'step', step });
      if (step === 'ServerHello') {
        const hello = parseServerHello(message.body);
        this.events.push({ type: 'server-hello', version: versionName(hello.selectedVersion ?? hello.version), suite: describeSuite(hello.cipherSuite).name });
      }
      if (!this.after(step)) return;
      if (this.stateNow === 'flight-done' && this.config.mode === 'hello') {
        // The engine has no key exchange: it ends here, as a client giving up would.
        this.out.push(encodeRecord(ContentType.Alert, 0x0303, Buffer.of(2, 90)));
        this.events.push({ type: 'alert-sent', alert: describeAlert(90), reason: "the scripted client ends after the server's first flight" });
        this.stateNow = 'closed';
        this.action = 'close';
        return;
      }
    }
  }

  private onAlert(fragment: Buffer): void {
    if (fragment.length !== 2) throw new AlertError('malformed alert', ALERT.decodeError);
    const fatal = fragment[0] === 2;
    this.events.push({ type: 'alert-received', alert: describeAlert(fragment[1]!), fatal });
    if (!fatal && fragment[1] !== ALERT.closeNotify) return;
    this.stateNow = 'closed';
    // Watch mode: Node reads the alert too, and says in its own words what failed.
    if (this.config.mode === 'hello') this.action = 'close';
  }

  /** Runs the script after a server message; false when the connection goes no further. */
  private after(step: ServerFlightStep): boolean {
    const { alertAfter, closeAfter, stopAfter } = this.script;
    if (alertAfter?.step === step) {
      this.fail(alertAfter.alert, `scripted: alert after ${step}`);
      return false;
    }
    if (closeAfter === step) {
      this.events.push({ type: 'closing', reason: `scripted: closed after ${step}` });
      this.stateNow = 'closed';
      this.action = 'close';
      return false;
    }
    if (stopAfter === step) {
      this.stateNow = 'silent';
      this.action = 'silence';
      this.events.push({ type: 'stopped', after: step });
      return false;
    }
    return true;
  }
}
