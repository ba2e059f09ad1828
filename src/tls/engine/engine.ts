// The scripted TLS server engine: sans-IO, as h11 is. Bytes in, events and bytes out; no
// sockets, no timers, no smtp-server. It speaks TLS 1.0-1.2 with DHE_RSA and static RSA key
// exchange (key-exchange.ts) and AES, 3DES, RC4 and NULL records (ciphers.ts), and does on
// purpose what OpenSSL 3 refuses to do: weak or broken DH groups, export and legacy suites,
// an SSLv3 ServerHello, an alert after any step, a bad signature, a wrong Finished, silence.
//
// The rules, all of them here:
// - A connection is in one state of TRANSITIONS. An input (a handshake message by type,
//   ChangeCipherSpec or application data) that its state's row does not list ends the
//   connection with a fatal unexpected_message (10).
// - Alerts are accepted in every state. close_notify is answered with close_notify; a fatal
//   alert from the client ends the connection; both are events.
// - Whatever fails to parse or verify ends the connection with the alert that names it
//   (decode_error 50, illegal_parameter 47, bad_record_mac 20, decrypt_error 51, ...).
//   Nothing escapes receive() as an exception: an engine bug is internal_error (80).
// - The script acts right after the step it names, on both the client's and the server's
//   steps: `alertAfter` sends a fatal alert and closes, `stopAfter` goes silent (reads
//   and drops everything, answers nothing), `corrupt` spoils the named message as it is built,
//   `omitRenegotiationInfo` leaves out the RFC 5746 extension as servers from before 2010 do.
//   A step the suite does not have is never taken, nor is the script's act there: static
//   RSA sends no ServerKeyExchange.
// - Renegotiation is refused: a ClientHello on an established connection gets a warning
//   no_renegotiation (100) and the session goes on.
// - What the handshake knows lives in the state where it is valid (as rustls's states hold
//   theirs): the client's offer from the ClientHello on, the key exchange's secret (a DH
//   exponent, or the RSA key) until the ClientKeyExchange, the keys from then on.
//   handshake.ts computes them; this file decides when.
import { createPrivateKey, randomBytes as systemRandomBytes, type KeyObject } from 'node:crypto';
import { ALERT, alert as describeAlert, type TlsAlert } from '../alerts.js';
import { AlertError, EngineUsageError } from './alert-error.js';
import type { EngineConfig, EngineScript, HandshakeStep } from './config.js';
import { chooseSuite, chooseVersion, deriveKeys, finishedData, helloExtensions, offeredVersions, startKeyExchange, usesExtendedMasterSecret, type SessionKeys } from './handshake.js';
import type { KeyExchangeSummary, PendingKeyExchange } from './key-exchange.js';
import {
  certificateMessage,
  finished,
  HandshakeReader,
  HandshakeType,
  parseClientHello,
  serverHello,
  serverHelloDone,
  type ClientHello,
  type HandshakeMessage,
} from './messages.js';
import { ContentType, MAX_PLAINTEXT, RecordProtection, RecordReader, type TlsRecord } from './records.js';
import { VERSION_CODES, versionName, type CipherSuite, type ProtocolVersion } from './suites.js';

export { offeredVersions } from './handshake.js';
export { HANDSHAKE_STEPS, type EngineConfig, type EngineScript, type HandshakeStep } from './config.js';

/** Chosen at the ClientHello: what the rest of the handshake is about. */
interface Offer {
  hello: ClientHello;
  version: ProtocolVersion;
  suite: CipherSuite;
  serverRandom: Buffer;
  extendedMasterSecret: boolean;
}

/** Each state, with what the handshake knows in it. */
type State =
  | { name: 'wait-client-hello' }
  | { name: 'wait-client-key-exchange'; offer: Offer; exchange: PendingKeyExchange }
  | { name: 'wait-change-cipher-spec'; offer: Offer; keys: SessionKeys; keyExchange: KeyExchangeSummary }
  | { name: 'wait-finished'; offer: Offer; keys: SessionKeys; keyExchange: KeyExchangeSummary }
  | { name: 'established'; offer: Offer }
  | { name: 'silent' }
  | { name: 'closed' };

export type EngineState = State['name'];

type Input = keyof typeof HandshakeType | 'ChangeCipherSpec' | 'ApplicationData';

/** What each state accepts, and the state it leads to. */
const TRANSITIONS: Readonly<Record<EngineState, Partial<Record<Input, EngineState>>>> = {
  'wait-client-hello': { ClientHello: 'wait-client-key-exchange' },
  'wait-client-key-exchange': { ClientKeyExchange: 'wait-change-cipher-spec' },
  'wait-change-cipher-spec': { ChangeCipherSpec: 'wait-finished' },
  'wait-finished': { Finished: 'established' },
  established: { ApplicationData: 'established' },
  silent: {},
  closed: {},
};

export type EngineEvent =
  | { type: 'client-hello'; version: string; offeredVersions: string[]; suites: number; serverName?: string; renegotiationInfo: boolean; extendedMasterSecret: boolean }
  | { type: 'step'; step: HandshakeStep }
  | { type: 'handshake-complete'; version: ProtocolVersion; suite: CipherSuite; keyExchange: KeyExchangeSummary; extendedMasterSecret: boolean }
  | { type: 'alert-received'; alert: TlsAlert; fatal: boolean }
  | { type: 'alert-sent'; alert: TlsAlert; fatal: boolean; reason: string }
  | { type: 'stopped'; after: HandshakeStep }
  | { type: 'application-data'; data: Buffer }
  | { type: 'closed'; by: 'client' | 'server' };

export interface EngineOutput {
  events: EngineEvent[];
  /** Bytes for the client, in order. */
  bytes: Buffer;
}

export class TlsServerEngine {
  private current: State = { name: 'wait-client-hello' };
  private readonly records = new RecordReader();
  private readonly handshakes = new HandshakeReader();
  private readonly transcript: Buffer[] = [];
  /** The record layer's version: TLS 1.0 until the ServerHello names one. */
  private version: number = VERSION_CODES.TLSv1;
  private readonly read: RecordProtection;
  private readonly write: RecordProtection;
  private readonly key: KeyObject;
  private readonly random: (length: number) => Buffer;
  private readonly script: EngineScript;
  private events: EngineEvent[] = [];
  private out: Buffer[] = [];

  constructor(private readonly config: EngineConfig) {
    this.key = typeof config.key === 'string' ? createPrivateKey(config.key) : config.key;
    this.random = config.randomBytes ?? systemRandomBytes;
    this.read = new RecordProtection(() => this.version, this.random);
    this.write = new RecordProtection(() => this.version, this.random);
    this.script = config.script ?? {};
    if (!config.versions.length) throw new Error('the engine needs at least one version');
    if (!config.suites.length) throw new Error('the engine needs at least one cipher suite');
  }

  /** Methods, not comparisons, because the state changes under TypeScript's narrowing. */
  private get ended(): boolean {
    return this.current.name === 'closed';
  }

  private get silent(): boolean {
    return this.current.name === 'silent';
  }

  get state(): EngineState {
    return this.current.name;
  }

  get negotiatedVersion(): ProtocolVersion | undefined {
    return this.current.name === 'established' ? this.current.offer.version : undefined;
  }

  get negotiatedSuite(): CipherSuite | undefined {
    return this.current.name === 'established' ? this.current.offer.suite : undefined;
  }

  /** Bytes from the client. */
  receive(bytes: Buffer): EngineOutput {
    return this.run(() => {
      if (this.ended) return;
      for (const record of this.records.push(bytes)) {
        this.onRecord(record);
        if (this.ended) return;
      }
    });
  }

  /** Application data for the client, once established; before that, an EngineUsageError. */
  send(data: Buffer): EngineOutput {
    return this.run(() => {
      if (this.current.name !== 'established') throw new EngineUsageError(`cannot send application data in state ${this.current.name}`);
      for (let offset = 0; offset < data.length; offset += MAX_PLAINTEXT) {
        this.out.push(this.write.seal(ContentType.ApplicationData, data.subarray(offset, offset + MAX_PLAINTEXT)));
      }
    });
  }

  /** close_notify, then nothing more. */
  close(): EngineOutput {
    return this.run(() => {
      if (this.ended) return;
      this.sendAlert(ALERT.closeNotify, false, 'the server closes the connection');
      this.current = { name: 'closed' };
      this.events.push({ type: 'closed', by: 'server' });
    });
  }

  private run(body: () => void): EngineOutput {
    try {
      body();
    } catch (error) {
      if (error instanceof EngineUsageError) throw error;
      if (error instanceof AlertError) this.fail(error.alert, error.message);
      else this.fail(ALERT.internalError, `engine error: ${error instanceof Error ? error.message : String(error)}`);
    }
    const output = { events: this.events, bytes: Buffer.concat(this.out) };
    this.events = [];
    this.out = [];
    return output;
  }

  private fail(alertNumber: number, reason: string): void {
    if (this.ended) return;
    this.sendAlert(alertNumber, true, reason);
    this.current = { name: 'closed' };
  }

  private sendAlert(alertNumber: number, fatal: boolean, reason: string): void {
    this.out.push(this.write.seal(ContentType.Alert, Buffer.of(fatal ? 2 : 1, alertNumber)));
    this.events.push({ type: 'alert-sent', alert: describeAlert(alertNumber), fatal, reason });
  }

  /** The state TRANSITIONS leads to from here on this input; unexpected_message when none. */
  private expect(input: Input): EngineState {
    const next = TRANSITIONS[this.current.name][input];
    if (!next) throw new AlertError(`unexpected ${input} in state ${this.current.name}`, ALERT.unexpectedMessage);
    return next;
  }

  /** Enters the state a handler worked out; it must be the one the table named. */
  private enter(state: State, expected: EngineState): void {
    if (state.name !== expected) throw new Error(`the table leads to ${expected}, the handler to ${state.name}`);
    this.current = state;
  }

  private onRecord(record: TlsRecord): void {
    const plaintext = this.read.open(record);
    if (record.type === ContentType.Alert) return this.onAlert(plaintext);
    if (this.silent) return;
    if (record.type === ContentType.ChangeCipherSpec) {
      if (plaintext.length !== 1 || plaintext[0] !== 1) throw new AlertError('malformed ChangeCipherSpec', ALERT.decodeError);
      if (!this.handshakes.empty) throw new AlertError('ChangeCipherSpec inside a handshake message', ALERT.unexpectedMessage);
      const next = this.expect('ChangeCipherSpec');
      const state = this.stateOf('wait-change-cipher-spec');
      this.read.activate(state.keys.client);
      return this.enter({ ...state, name: 'wait-finished' }, next);
    }
    if (record.type === ContentType.ApplicationData) {
      this.expect('ApplicationData');
      if (plaintext.length) this.events.push({ type: 'application-data', data: plaintext });
      return;
    }
    if (plaintext.length === 0) throw new AlertError('empty handshake record', ALERT.unexpectedMessage);
    for (const message of this.handshakes.push(plaintext)) {
      this.onHandshake(message);
      if (this.ended || this.silent) return;
    }
  }

  private onAlert(plaintext: Buffer): void {
    const [level, number] = plaintext;
    if (plaintext.length !== 2 || number === undefined) throw new AlertError('malformed alert', ALERT.decodeError);
    const fatal = level === 2;
    this.events.push({ type: 'alert-received', alert: describeAlert(number), fatal });
    if (number === ALERT.closeNotify) {
      if (!this.silent) this.sendAlert(ALERT.closeNotify, false, 'the client closed the connection');
      this.current = { name: 'closed' };
      this.events.push({ type: 'closed', by: 'client' });
    } else if (fatal) {
      this.current = { name: 'closed' };
    }
  }

  private onHandshake(message: HandshakeMessage): void {
    const name = (Object.keys(HandshakeType) as Array<keyof typeof HandshakeType>).find((key) => HandshakeType[key] === message.type);
    if (!name) throw new AlertError(`unknown handshake message type ${message.type}`, ALERT.unexpectedMessage);
    if (this.current.name === 'established' && name === 'ClientHello') {
      this.sendAlert(ALERT.noRenegotiation, false, 'renegotiation is refused');
      return;
    }
    const next = this.expect(name);
    if (name === 'ClientHello') return this.onClientHello(message, next);
    if (name === 'ClientKeyExchange') {
      this.transcript.push(message.raw);
      return this.onClientKeyExchange(message.body, next);
    }
    if (name === 'Finished') return this.onClientFinished(message, next);
  }

  /** The state the table has put the connection in, with its data; an engine bug otherwise. */
  private stateOf<Name extends EngineState>(name: Name): Extract<State, { name: Name }> {
    const state = this.current;
    if (state.name !== name) throw new Error(`in state ${state.name}, not ${name}`);
    return state as Extract<State, { name: Name }>;
  }

  // --- the server's side of the handshake ----------------------------------------------

  /** Runs the script after a step; false when the connection goes no further. */
  private after(step: HandshakeStep): boolean {
    this.events.push({ type: 'step', step });
    const { alertAfter, stopAfter } = this.script;
    if (alertAfter?.step === step) {
      this.fail(alertAfter.alert, `scripted: alert after ${step}`);
      return false;
    }
    if (stopAfter === step) {
      this.current = { name: 'silent' };
      this.events.push({ type: 'stopped', after: step });
      return false;
    }
    return true;
  }

  /** Sends handshake messages, one record per 16 KiB, and adds them to the transcript. */
  private sendHandshake(message: Buffer): void {
    this.transcript.push(message);
    for (let offset = 0; offset < message.length; offset += MAX_PLAINTEXT) {
      this.out.push(this.write.seal(ContentType.Handshake, message.subarray(offset, offset + MAX_PLAINTEXT)));
    }
  }

  private onClientHello(message: HandshakeMessage, next: EngineState): void {
    const hello = parseClientHello(message.body);
    this.events.push({
      type: 'client-hello',
      version: versionName(hello.version),
      offeredVersions: offeredVersions(hello).map(versionName),
      suites: hello.cipherSuites.length,
      ...(hello.serverName ? { serverName: hello.serverName } : {}),
      renegotiationInfo: hello.renegotiationInfo !== undefined,
      extendedMasterSecret: hello.extendedMasterSecret,
    });
    this.transcript.push(message.raw);
    if (!this.after('ClientHello')) return;

    const version = chooseVersion(this.config.versions, hello);
    this.version = VERSION_CODES[version];
    const suite = chooseSuite(this.config.suites, hello, this.version);
    if (hello.renegotiationInfo?.length) throw new AlertError('renegotiation_info is not empty on an initial handshake', ALERT.handshakeFailure);
    const offer: Offer = { hello, version, suite, serverRandom: this.random(32), extendedMasterSecret: usesExtendedMasterSecret(hello, this.version) };
    const extensions = helloExtensions(hello, offer.extendedMasterSecret, !this.script.omitRenegotiationInfo);
    this.sendHandshake(serverHello({ version: this.version, random: offer.serverRandom, suite: suite.code, extensions }));
    if (!this.after('ServerHello')) return;

    this.sendHandshake(certificateMessage(this.config.chain));
    if (!this.after('Certificate')) return;

    const { message: keyExchange, pending } = startKeyExchange(suite, { ...offer, group: this.config.group, key: this.key, version: this.version, random: this.random, corrupt: this.script.corrupt === 'ske-signature' });
    this.enter({ name: 'wait-client-key-exchange', offer, exchange: pending }, next);
    if (keyExchange) {
      this.sendHandshake(keyExchange);
      if (!this.after('ServerKeyExchange')) return;
    }

    this.sendHandshake(serverHelloDone());
    this.after('ServerHelloDone');
  }

  private onClientKeyExchange(body: Buffer, next: EngineState): void {
    const { offer, exchange } = this.stateOf('wait-client-key-exchange');
    const keys = deriveKeys(exchange.premasterSecret(body), { ...offer, version: this.version, transcript: this.transcript });
    this.enter({ name: 'wait-change-cipher-spec', offer, keys, keyExchange: { kind: exchange.kind, bits: exchange.bits } }, next);
    this.after('ClientKeyExchange');
  }

  private onClientFinished(message: HandshakeMessage, next: EngineState): void {
    const { offer, keys, keyExchange } = this.stateOf('wait-finished');
    const finishedOf = (label: string) => finishedData(this.version, offer.suite, keys.masterSecret, label, this.transcript);
    if (!finishedOf('client finished').equals(message.body)) throw new AlertError('the client Finished does not match the handshake', ALERT.decryptError);
    this.transcript.push(message.raw);
    if (!this.after('ClientFinished')) return;
    this.out.push(this.write.seal(ContentType.ChangeCipherSpec, Buffer.of(1)));
    this.write.activate(keys.server);
    const verify = finishedOf('server finished');
    if (this.script.corrupt === 'finished') verify[0]! ^= 0xff;
    this.sendHandshake(finished(verify));
    this.enter({ name: 'established', offer }, next);
    if (!this.after('ServerFinished')) return;
    this.events.push({
      type: 'handshake-complete',
      version: offer.version,
      suite: offer.suite,
      keyExchange,
      extendedMasterSecret: offer.extendedMasterSecret,
    });
  }
}
