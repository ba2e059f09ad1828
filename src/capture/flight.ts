// The server's answer to one ClientHello, sans-IO: bytes in, the flight as it stands out.
// It stops at the first thing that ends a probe: ServerHelloDone (TLS 1.2 and older), a
// TLS 1.3 ServerHello (the rest is encrypted), an alert, bytes that are not TLS, or a
// message that does not parse. The IO side adds how the connection ended (close, reset,
// silence); the flight says how far the server had got.
import { AlertError } from '../tls/engine/alert-error.js';
import type { HandshakeStep } from '../tls/engine/engine.js';
import {
  HandshakeReader,
  HandshakeType,
  parseAlert,
  parseCertificate,
  parseCertificateRequest,
  parseServerHello,
  parseServerHelloDone,
  parseServerKeyExchange,
  type CertificateRequest,
  type ServerHello,
  type ServerKeyExchange,
} from '../tls/engine/messages.js';
import { ContentType, RecordReader } from '../tls/engine/records.js';
import { describeSuite, TLS13 } from '../tls/engine/suites.js';

export type FlightStatus = 'reading' | 'complete' | 'alert' | 'garbage' | 'malformed';

/** A certificate chain and key exchange are small; a flight past this is not a server's. */
const MAX_FLIGHT = 512 * 1024;
const MAX_GARBAGE_TEXT = 512;

export class FlightReader {
  status: FlightStatus = 'reading';
  /** Every byte the server sent. */
  bytes = 0;
  /** The handshake messages received, in order, named as the engine's steps. */
  readonly steps: Array<HandshakeStep | 'CertificateRequest'> = [];
  serverHello?: ServerHello;
  chain?: Buffer[];
  keyExchange?: ServerKeyExchange;
  certificateRequest?: CertificateRequest;
  alert?: { code: number; fatal: boolean };
  /** Bytes that were not TLS, as text. */
  garbage?: string;
  /** Why a message did not parse. */
  problem?: string;
  private recordsSeen = 0;
  private readonly records = new RecordReader();
  private readonly handshakes = new HandshakeReader();

  get ended(): boolean {
    return this.status !== 'reading';
  }

  /** Returns true once the flight has ended (more bytes are ignored, but for garbage text). */
  push(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.status === 'garbage') {
      if (this.garbage!.length < MAX_GARBAGE_TEXT) this.garbage = (this.garbage + chunk.toString('latin1')).slice(0, MAX_GARBAGE_TEXT);
      return true;
    }
    if (this.ended) return true;
    if (this.bytes > MAX_FLIGHT) return this.malformed(`over ${MAX_FLIGHT} bytes without finishing the flight`);
    try {
      for (const record of this.records.push(chunk)) {
        this.recordsSeen++;
        this.onRecord(record.type, record.fragment);
        if (this.ended) break;
      }
    } catch (error) {
      if (!(error instanceof AlertError)) throw error;
      if (this.recordsSeen === 0) {
        // Not even one TLS record: plaintext (an SMTP error, an HTTP page) where TLS should be.
        this.status = 'garbage';
        this.garbage = chunk.toString('latin1').slice(0, MAX_GARBAGE_TEXT);
      } else {
        this.malformed(error.message);
      }
    }
    return this.ended;
  }

  /** The last step the server completed before it stopped, if any. */
  get lastStep(): HandshakeStep | undefined {
    const steps = this.steps.filter((step): step is HandshakeStep => step !== 'CertificateRequest');
    return steps[steps.length - 1];
  }

  private malformed(reason: string): boolean {
    this.status = 'malformed';
    this.problem = reason;
    return true;
  }

  private onRecord(type: number, fragment: Buffer): void {
    if (type === ContentType.Alert) {
      const { description, fatal } = parseAlert(fragment);
      this.alert = { code: description, fatal };
      this.status = 'alert';
      return;
    }
    if (type !== ContentType.Handshake) {
      this.malformed(`a ${type === ContentType.ChangeCipherSpec ? 'ChangeCipherSpec' : 'application data'} record before the server's hello was done`);
      return;
    }
    for (const message of this.handshakes.push(fragment)) {
      this.onMessage(message.type, message.body);
      if (this.ended) return;
    }
  }

  private onMessage(type: number, body: Buffer): void {
    const hello = this.serverHello;
    if (!hello && type !== HandshakeType.ServerHello) {
      this.malformed(`handshake message ${type} before the ServerHello`);
      return;
    }
    if (type === HandshakeType.ServerHello) {
      this.serverHello = parseServerHello(body);
      this.steps.push('ServerHello');
      if (this.serverHello.selectedVersion === TLS13 || this.serverHello.helloRetryRequest) this.status = 'complete';
    } else if (type === HandshakeType.Certificate) {
      this.chain = parseCertificate(body);
      this.steps.push('Certificate');
    } else if (type === HandshakeType.ServerKeyExchange) {
      const kind = describeSuite(hello!.cipherSuite).keyExchange;
      if (kind !== 'DHE' && kind !== 'ECDHE') {
        this.malformed(`a ServerKeyExchange for suite ${describeSuite(hello!.cipherSuite).name}, which has none`);
        return;
      }
      this.keyExchange = parseServerKeyExchange(body, kind, hello!.version);
      this.steps.push('ServerKeyExchange');
    } else if (type === HandshakeType.CertificateRequest) {
      this.certificateRequest = parseCertificateRequest(body, hello!.version);
      this.steps.push('CertificateRequest');
    } else if (type === HandshakeType.ServerHelloDone) {
      parseServerHelloDone(body);
      this.steps.push('ServerHelloDone');
      this.status = 'complete';
    } else {
      this.malformed(`unexpected handshake message ${type} in the server's first flight`);
    }
  }
}
