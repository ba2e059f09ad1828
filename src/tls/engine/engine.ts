// The scripted TLS server engine: sans-IO, as h11 is. Bytes in, events and bytes out; no
// sockets, no timers, no smtp-server. It speaks TLS 1.0-1.2 with DHE_RSA suites, and does
// on purpose what OpenSSL 3 refuses to do: weak or broken DH groups, an SSLv3 ServerHello,
// an alert after any step, a bad signature, a wrong Finished, silence.
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
// - Renegotiation is refused: a ClientHello on an established connection gets a warning
//   no_renegotiation (100) and the session goes on.
import { createHash, createPrivateKey, privateEncrypt, randomBytes as systemRandomBytes, sign, constants, type KeyObject } from 'node:crypto';
import { ALERT, alert as describeAlert, type TlsAlert } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { modPow, toBigInt, toBytes, type DhGroup } from './groups.js';
import {
  certificateMessage,
  dhParams,
  ExtensionType,
  finished,
  HandshakeReader,
  HandshakeType,
  parseClientDhPublic,
  parseClientHello,
  serverHello,
  serverHelloDone,
  serverKeyExchange,
  type ClientHello,
  type HandshakeMessage,
} from './messages.js';
import { prf, transcriptHash, type PrfHash } from './prf.js';
import { ContentType, MAX_PLAINTEXT, RecordProtection, RecordReader, type TlsRecord } from './records.js';
import { RENEGOTIATION_SCSV, VERSION_CODES, versionName, type CipherSuite, type ProtocolVersion } from './suites.js';

export const HANDSHAKE_STEPS = [
  'ClientHello',
  'ServerHello',
  'Certificate',
  'ServerKeyExchange',
  'ServerHelloDone',
  'ClientKeyExchange',
  'ClientFinished',
  'ServerFinished',
] as const;
export type HandshakeStep = (typeof HANDSHAKE_STEPS)[number];

export interface EngineScript {
  /** Send this fatal alert right after the step, then close. */
  alertAfter?: { step: HandshakeStep; alert: number };
  /** Say nothing more after the step. */
  stopAfter?: HandshakeStep;
  /** Spoil a message: the ServerKeyExchange signature, or the server's Finished. */
  corrupt?: 'ske-signature' | 'finished';
  /** Answer as a server from before RFC 5746 does: no renegotiation_info in the ServerHello. */
  omitRenegotiationInfo?: boolean;
}

export interface EngineConfig {
  /** The versions served; the highest one the client offers is chosen. */
  versions: readonly ProtocolVersion[];
  /** In the server's order of preference. */
  suites: readonly CipherSuite[];
  group: DhGroup;
  /** PEM or KeyObject of the certificate's RSA key. */
  key: string | KeyObject;
  /** DER certificates, leaf first. */
  chain: readonly Buffer[];
  script?: EngineScript;
  /** Every random byte the engine uses (server random, DH exponent, CBC IVs): tests fix it to get the same bytes every run. */
  randomBytes?: (length: number) => Buffer;
}

export type EngineState =
  | 'wait-client-hello'
  | 'wait-client-key-exchange'
  | 'wait-change-cipher-spec'
  | 'wait-finished'
  | 'established'
  | 'silent'
  | 'closed';

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
  | { type: 'handshake-complete'; version: ProtocolVersion; suite: CipherSuite; dhBits: number; extendedMasterSecret: boolean }
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


/** RFC 5246 §7.4.1.4.1: the client's signature_algorithms, else SHA-1. */
const RSA_SIGNATURE_HASHES: ReadonlyArray<[number, string]> = [
  [0x0401, 'sha256'],
  [0x0501, 'sha384'],
  [0x0601, 'sha512'],
  [0x0201, 'sha1'],
];

export class TlsServerEngine {
  private stateNow: EngineState = 'wait-client-hello';
  private readonly records = new RecordReader();
  private readonly handshakes = new HandshakeReader();
  private readonly transcript: Buffer[] = [];
  private version = 0x0301;
  private readonly read: RecordProtection;
  private readonly write: RecordProtection;
  private readonly key: KeyObject;
  private readonly random: (length: number) => Buffer;
  private readonly script: EngineScript;
  private events: EngineEvent[] = [];
  private out: Buffer[] = [];
  private hello: ClientHello | undefined;
  private suite: CipherSuite | undefined;
  private serverRandom: Buffer = Buffer.alloc(0);
  private privateExponent = 0n;
  private masterSecret: Buffer = Buffer.alloc(0);
  private keyBlock: { client: Parameters<RecordProtection['activate']>[0]; server: Parameters<RecordProtection['activate']>[0] } | undefined;

  constructor(private readonly config: EngineConfig) {
    this.key = typeof config.key === 'string' ? createPrivateKey(config.key) : config.key;
    this.random = config.randomBytes ?? systemRandomBytes;
    this.read = new RecordProtection(() => this.version, this.random);
    this.write = new RecordProtection(() => this.version, this.random);
    this.script = config.script ?? {};
    if (!config.versions.length) throw new Error('the engine needs at least one version');
    if (!config.suites.length) throw new Error('the engine needs at least one cipher suite');
  }

  /** A method, not a comparison, because the state changes under TypeScript's narrowing. */
  private get ended(): boolean {
    return this.stateNow === 'closed';
  }

  private get silent(): boolean {
    return this.stateNow === 'silent';
  }

  get state(): EngineState {
    return this.stateNow;
  }

  get negotiatedVersion(): ProtocolVersion | undefined {
    return this.suite ? (versionName(this.version) as ProtocolVersion) : undefined;
  }

  get negotiatedSuite(): CipherSuite | undefined {
    return this.suite;
  }

  /** Bytes from the client. */
  receive(bytes: Buffer): EngineOutput {
    return this.run(() => {
      if (this.stateNow === 'closed') return;
      for (const record of this.records.push(bytes)) {
        this.onRecord(record);
        if (this.ended) return;
      }
    });
  }

  /** Application data for the client, once established. */
  send(data: Buffer): EngineOutput {
    return this.run(() => {
      if (this.stateNow !== 'established') throw new Error(`cannot send application data in state ${this.stateNow}`);
      for (let offset = 0; offset < data.length; offset += MAX_PLAINTEXT) {
        this.out.push(this.write.seal(ContentType.ApplicationData, data.subarray(offset, offset + MAX_PLAINTEXT)));
      }
    });
  }

  /** close_notify, then nothing more. */
  close(): EngineOutput {
    return this.run(() => {
      if (this.stateNow === 'closed') return;
      this.sendAlert(ALERT.closeNotify, false, 'the server closes the connection');
      this.stateNow = 'closed';
      this.events.push({ type: 'closed', by: 'server' });
    });
  }

  private run(body: () => void): EngineOutput {
    try {
      body();
    } catch (error) {
      if (error instanceof AlertError) {
        this.fail(error.alert, error.message);
      } else if (error instanceof Error && error.message.startsWith('cannot send')) {
        throw error;
      } else {
        this.fail(ALERT.internalError, `engine error: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const output = { events: this.events, bytes: Buffer.concat(this.out) };
    this.events = [];
    this.out = [];
    return output;
  }

  private fail(alertNumber: number, reason: string): void {
    if (this.stateNow === 'closed') return;
    this.sendAlert(alertNumber, true, reason);
    this.stateNow = 'closed';
  }

  private sendAlert(alertNumber: number, fatal: boolean, reason: string): void {
    this.out.push(this.write.seal(ContentType.Alert, Buffer.of(fatal ? 2 : 1, alertNumber)));
    this.events.push({ type: 'alert-sent', alert: describeAlert(alertNumber), fatal, reason });
  }

  private transition(input: Input): void {
    const next = TRANSITIONS[this.stateNow][input];
    if (!next) throw new AlertError(`unexpected ${input} in state ${this.stateNow}`, ALERT.unexpectedMessage);
    this.stateNow = next;
  }

  private onRecord(record: TlsRecord): void {
    const plaintext = this.read.open(record);
    if (record.type === ContentType.Alert) return this.onAlert(plaintext);
    if (this.stateNow === 'silent') return;
    if (record.type === ContentType.ChangeCipherSpec) {
      if (plaintext.length !== 1 || plaintext[0] !== 1) throw new AlertError('malformed ChangeCipherSpec', ALERT.decodeError);
      if (!this.handshakes.empty) throw new AlertError('ChangeCipherSpec inside a handshake message', ALERT.unexpectedMessage);
      this.transition('ChangeCipherSpec');
      this.read.activate(this.keyBlock!.client);
      return;
    }
    if (record.type === ContentType.ApplicationData) {
      this.transition('ApplicationData');
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
    if (plaintext.length !== 2) throw new AlertError('malformed alert', ALERT.decodeError);
    const fatal = plaintext[0] === 2;
    const number = plaintext[1]!;
    this.events.push({ type: 'alert-received', alert: describeAlert(number), fatal });
    if (number === ALERT.closeNotify) {
      if (this.stateNow !== 'silent') this.sendAlert(ALERT.closeNotify, false, 'the client closed the connection');
      this.stateNow = 'closed';
      this.events.push({ type: 'closed', by: 'client' });
    } else if (fatal) {
      this.stateNow = 'closed';
    }
  }

  private onHandshake(message: HandshakeMessage): void {
    const name = (Object.keys(HandshakeType) as Array<keyof typeof HandshakeType>).find((key) => HandshakeType[key] === message.type);
    if (!name) throw new AlertError(`unknown handshake message type ${message.type}`, ALERT.unexpectedMessage);
    if (this.stateNow === 'established' && name === 'ClientHello') {
      this.sendAlert(ALERT.noRenegotiation, false, 'renegotiation is refused');
      return;
    }
    const verifyFinished = name === 'Finished' ? this.expectedFinished('client finished') : undefined;
    this.transition(name);
    if (name === 'ClientHello') return this.onClientHello(message);
    this.transcript.push(message.raw);
    if (name === 'ClientKeyExchange') return this.onClientKeyExchange(message.body);
    if (name === 'Finished') return this.onClientFinished(message.body, verifyFinished!);
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
      this.stateNow = 'silent';
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

  private onClientHello(message: HandshakeMessage): void {
    const hello = parseClientHello(message.body);
    this.hello = hello;
    const offered = offeredVersions(hello);
    this.events.push({
      type: 'client-hello',
      version: versionName(hello.version),
      offeredVersions: offered.map(versionName),
      suites: hello.cipherSuites.length,
      ...(hello.serverName ? { serverName: hello.serverName } : {}),
      renegotiationInfo: hello.renegotiationInfo !== undefined,
      extendedMasterSecret: hello.extendedMasterSecret,
    });
    this.transcript.push(message.raw);
    if (!this.after('ClientHello')) return;

    const served = this.config.versions.map((name) => VERSION_CODES[name]).sort((a, b) => b - a);
    const common = served.find((code) => offered.includes(code));
    if (common === undefined && served[served.length - 1]! > Math.max(...offered, 0)) {
      throw new AlertError(`the client offers ${offered.map(versionName).join(', ') || 'nothing'}; the server serves ${this.config.versions.join(', ')}`, ALERT.protocolVersion);
    }
    // An old server answers with the best it knows, and leaves the refusal to the client.
    this.version = common ?? served[0]!;
    const suite = this.config.suites.find((candidate) => hello.cipherSuites.includes(candidate.code) && (!candidate.tls12Only || this.version === 0x0303));
    if (!suite) throw new AlertError('no cipher suite in common (the engine serves DHE_RSA only)', ALERT.handshakeFailure);
    this.suite = suite;
    if (hello.renegotiationInfo?.length) throw new AlertError('renegotiation_info is not empty on an initial handshake', ALERT.handshakeFailure);

    const extensions: Array<[number, Buffer]> = [];
    const secureRenegotiation = hello.renegotiationInfo !== undefined || hello.cipherSuites.includes(RENEGOTIATION_SCSV);
    if (secureRenegotiation && !this.script.omitRenegotiationInfo) extensions.push([ExtensionType.RenegotiationInfo, Buffer.of(0)]);
    if (this.useExtendedMasterSecret) extensions.push([ExtensionType.ExtendedMasterSecret, Buffer.alloc(0)]);
    this.serverRandom = this.random(32);
    this.sendHandshake(serverHello({ version: this.version, random: this.serverRandom, suite: suite.code, extensions }));
    if (!this.after('ServerHello')) return;

    this.sendHandshake(certificateMessage(this.config.chain));
    if (!this.after('Certificate')) return;

    this.sendHandshake(this.serverKeyExchange(hello));
    if (!this.after('ServerKeyExchange')) return;

    this.sendHandshake(serverHelloDone());
    this.after('ServerHelloDone');
  }

  private get useExtendedMasterSecret(): boolean {
    return Boolean(this.hello?.extendedMasterSecret) && this.version !== 0x0300;
  }

  private serverKeyExchange(hello: ClientHello): Buffer {
    const { group } = this.config;
    // A short exponent, as servers use: 256 bits is the strength of the best group served.
    const exponentBits = Math.min(256, group.bits - 2);
    // In a small subgroup an exponent can land on the identity (1 in 7 for small-subgroup),
    // which clients reject as a different fault; the scenario is about the subgroup, so draw again.
    let publicValue = 1n;
    while (publicValue <= 1n || publicValue >= group.p - 1n) {
      this.privateExponent = (toBigInt(this.random(Math.ceil(exponentBits / 8))) % (1n << BigInt(exponentBits))) | 2n;
      publicValue = modPow(group.g, this.privateExponent, group.p);
    }
    const pLength = Math.ceil(group.bits / 8);
    const params = dhParams(toBytes(group.p), toBytes(group.g), toBytes(publicValue, pLength));
    const signed = Buffer.concat([hello.random, this.serverRandom, params]);
    let signature: Buffer;
    let algorithm: number | undefined;
    if (this.version === 0x0303) {
      const offered = hello.signatureAlgorithms ?? [0x0201];
      const choice = RSA_SIGNATURE_HASHES.find(([code]) => offered.includes(code));
      if (!choice) throw new AlertError('the client accepts no RSA PKCS#1 signature the engine makes', ALERT.handshakeFailure);
      algorithm = choice[0];
      signature = sign(choice[1], signed, this.key);
    } else {
      // TLS 1.0/1.1 (and SSLv3): MD5 and SHA-1 side by side, PKCS#1 without DigestInfo.
      const digest = Buffer.concat([createHash('md5').update(signed).digest(), createHash('sha1').update(signed).digest()]);
      signature = privateEncrypt({ key: this.key, padding: constants.RSA_PKCS1_PADDING }, digest);
    }
    if (this.script.corrupt === 'ske-signature') signature[signature.length - 1]! ^= 0x01;
    return serverKeyExchange(params, signature, algorithm);
  }

  private get prfHash(): PrfHash {
    return this.version === 0x0303 ? this.suite!.prfHash : 'md5-sha1';
  }

  private onClientKeyExchange(body: Buffer): void {
    if (this.version === 0x0300) throw new AlertError('the client accepted SSLv3; the engine only plays its hello, not its key derivation', ALERT.handshakeFailure);
    const { group } = this.config;
    const clientPublic = toBigInt(parseClientDhPublic(body));
    if (clientPublic <= 1n || clientPublic >= group.p - 1n) throw new AlertError('the client DH public value is out of range', ALERT.illegalParameter);
    const preMasterSecret = toBytes(modPow(clientPublic, this.privateExponent, group.p));
    const hash = this.prfHash;
    const hello = this.hello!;
    this.masterSecret = this.useExtendedMasterSecret
      ? prf(hash, preMasterSecret, 'extended master secret', transcriptHash(hash, this.transcript), 48)
      : prf(hash, preMasterSecret, 'master secret', Buffer.concat([hello.random, this.serverRandom]), 48);
    const suite = this.suite!;
    const macLength = suite.mac ? 20 : 0;
    const ivLength = suite.mac ? 16 : 4;
    const block = prf(hash, this.masterSecret, 'key expansion', Buffer.concat([this.serverRandom, hello.random]), 2 * (macLength + suite.keyLength + ivLength));
    let offset = 0;
    const take = (n: number) => block.subarray(offset, (offset += n));
    const clientMac = take(macLength);
    const serverMac = take(macLength);
    const clientKey = take(suite.keyLength);
    const serverKey = take(suite.keyLength);
    const clientIv = take(ivLength);
    const serverIv = take(ivLength);
    this.keyBlock = {
      client: { suite, key: clientKey, macKey: clientMac, iv: clientIv },
      server: { suite, key: serverKey, macKey: serverMac, iv: serverIv },
    };
    this.after('ClientKeyExchange');
  }

  private expectedFinished(label: string): Buffer {
    if (!this.suite || !this.masterSecret.length) return Buffer.alloc(0);
    return prf(this.prfHash, this.masterSecret, label, transcriptHash(this.prfHash, this.transcript), 12);
  }

  private onClientFinished(verifyData: Buffer, expected: Buffer): void {
    if (!expected.length || !expected.equals(verifyData)) throw new AlertError('the client Finished does not match the handshake', ALERT.decryptError);
    if (!this.after('ClientFinished')) return;
    this.out.push(this.write.seal(ContentType.ChangeCipherSpec, Buffer.of(1)));
    this.write.activate(this.keyBlock!.server);
    const verify = this.expectedFinished('server finished');
    if (this.script.corrupt === 'finished') verify[0]! ^= 0xff;
    this.sendHandshake(finished(verify));
    if (!this.after('ServerFinished')) return;
    this.events.push({
      type: 'handshake-complete',
      version: versionName(this.version) as ProtocolVersion,
      suite: this.suite!,
      dhBits: this.config.group.bits,
      extendedMasterSecret: this.useExtendedMasterSecret,
    });
  }
}

/** The versions a ClientHello offers, newest first, up to TLS 1.2. */
export function offeredVersions(hello: ClientHello): number[] {
  const list = hello.supportedVersions ?? [0x0303, 0x0302, 0x0301, 0x0300].filter((code) => code <= hello.version);
  return list.filter((code) => code >= 0x0300 && code <= 0x0303).sort((a, b) => b - a);
}
