// The IO of a probe, and nothing else: a TCP connection bounded in time and bytes, the SMTP
// dialogue up to STARTTLS, one ClientHello and the server's flight; or Node's own TLS for
// what a raw hello cannot see past (TLS 1.3, SMTP inside implicit TLS).
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { FlightReader } from './flight.js';
import { helloRecord, type HelloPlan } from './hellos.js';
import { NotSmtpError, ReplyReader, quote, replyText, type Reply } from '../smtp/reply-reader.js';
import { SmtpDialogue, type DialogueState, type SmtpFindings } from './smtp-dialogue.js';

export interface Target {
  host: string;
  port: number;
  implicit: boolean;
  /** The name sent as SNI and checked against the certificate; undefined for an IP address. */
  serverName?: string;
  helo: string;
  starttls: boolean;
  timeoutMs: number;
}

/** A probe that could not be run at all: the one line the command prints. */
export class ProbeError extends Error {}

const where = (target: Target) => `${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;

/** Everything one connection may take: the deadline, and the socket's end, as one promise race. */
class Session {
  readonly socket: Socket;
  private readonly deadline: Promise<'timeout'>;
  private timer: NodeJS.Timeout | undefined;
  readonly ended: Promise<'close' | 'reset'>;

  /** A new TCP connection, or (for SMTP inside implicit TLS) a socket already open. */
  constructor(
    readonly target: Target,
    socket?: Socket,
  ) {
    this.socket = socket ?? tcpConnect({ host: target.host, port: target.port });
    this.deadline = new Promise((resolve) => (this.timer = setTimeout(() => resolve('timeout'), target.timeoutMs)));
    let reset = false;
    this.socket.on('error', (error: NodeJS.ErrnoException) => (reset = error.code === 'ECONNRESET' || reset));
    this.ended = new Promise((resolve) => this.socket.once('close', () => resolve(reset ? 'reset' : 'close')));
  }

  async open(): Promise<void> {
    const opened = new Promise<'open' | Error>((resolve) => {
      this.socket.once('connect', () => resolve('open'));
      this.socket.once('error', (error) => resolve(error));
    });
    const result = await Promise.race([opened, this.deadline]);
    if (result === 'open') return;
    this.close();
    if (result === 'timeout') throw new ProbeError(`${where(this.target)}: no answer to the connection within ${this.target.timeoutMs} ms (host down, unreachable or filtered)`);
    const code = (result as NodeJS.ErrnoException).code;
    const reason =
      code === 'ECONNREFUSED' ? 'connection refused (nothing listens on that port)' :
      code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'no such host (the name does not resolve)' :
      code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'host unreachable' :
      result.message;
    throw new ProbeError(`${where(this.target)}: ${reason}`);
  }

  /** Resolves with the next data, or how the wait ended. */
  next(): Promise<Buffer | 'timeout' | 'close' | 'reset'> {
    return new Promise((resolve) => {
      const onData = (chunk: Buffer) => {
        this.socket.off('data', onData);
        this.socket.pause();
        resolve(chunk);
      };
      this.socket.on('data', onData);
      this.socket.resume();
      void Promise.race([this.ended, this.deadline]).then((end) => {
        this.socket.off('data', onData);
        resolve(end);
      });
    });
  }

  close(): void {
    clearTimeout(this.timer);
    this.socket.destroy();
  }
}

/** Runs the dialogue until TLS or the end; what followed the last reply is returned. */
async function converse(session: Session, dialogue: SmtpDialogue, started: number): Promise<string> {
  const replies = new ReplyReader();
  const after: string[] = [];
  while (dialogue.state !== 'tls' && dialogue.state !== 'done') {
    const chunk = await session.next();
    if (!Buffer.isBuffer(chunk)) {
      if (dialogue.state === 'quit') return '';
      const said = dialogue.state === 'greeting' ? 'no SMTP greeting' : `no reply to ${dialogue.state.toUpperCase()}`;
      const why = chunk === 'timeout' ? `nothing within ${session.target.timeoutMs} ms${dialogue.state === 'greeting' ? '; is it an SMTP server?' : ''}` : `the server ${chunk === 'reset' ? 'reset' : 'closed'} the connection`;
      throw new ProbeError(`${where(session.target)}: ${said} (${why})`);
    }
    let got: Reply[];
    try {
      got = replies.push(chunk);
    } catch (error) {
      if (error instanceof NotSmtpError) throw new ProbeError(`${where(session.target)}: not an SMTP server: ${error.message}`);
      throw error;
    }
    for (const reply of got) {
      // Whole replies after the 220 to STARTTLS were sent unasked, in plaintext.
      if ((dialogue.state as DialogueState) === 'tls') after.push(replyText(reply));
      if (dialogue.state === 'greeting') dialogue.findings.bannerMs = Date.now() - started;
      const out = dialogue.receive(reply);
      if (out) session.socket.write(out);
    }
  }
  return [...after, replies.takeRest()].filter(Boolean).join('\r\n');
}

/** The SMTP probe: banner, EHLO (or HELO), STARTTLS, QUIT; never MAIL. */
export async function probeSmtp(target: Target): Promise<SmtpFindings> {
  const session = new Session(target);
  const started = Date.now();
  try {
    await session.open();
    const dialogue = new SmtpDialogue({ helo: target.helo, starttls: target.starttls });
    const rest = await converse(session, dialogue, started);
    if (dialogue.state === 'tls' && rest) dialogue.findings.injected = rest.split(/\r?\n/).filter(Boolean);
    return dialogue.findings;
  } finally {
    session.close();
  }
}

export type ConnectionEnd = 'flight' | 'close' | 'reset' | 'timeout';

export interface HelloOutcome {
  plan: HelloPlan;
  random: Buffer;
  flight: FlightReader;
  end: ConnectionEnd;
  /** Set when STARTTLS did not get a 220 this time. */
  starttlsReply?: string;
}

/** One ClientHello on its own connection, after STARTTLS unless implicit. */
export async function probeHello(target: Target, plan: HelloPlan): Promise<HelloOutcome> {
  const session = new Session(target);
  try {
    await session.open();
    if (!target.implicit) {
      const dialogue = new SmtpDialogue({ helo: target.helo, starttls: true });
      await converse(session, dialogue, Date.now());
      if (dialogue.state !== 'tls') {
        const reply = dialogue.findings.starttls ?? dialogue.findings.ehlo ?? dialogue.findings.banner;
        throw new ProbeError(`${where(target)}: STARTTLS was not accepted on a later connection (${reply ? quote(replyText(reply)) : 'no reply'})`);
      }
    }
    const { record, random } = helloRecord(plan, target.serverName);
    session.socket.write(record);
    const flight = new FlightReader();
    let end: ConnectionEnd = 'flight';
    while (!flight.ended) {
      const chunk = await session.next();
      if (!Buffer.isBuffer(chunk)) {
        end = chunk;
        break;
      }
      flight.push(chunk);
    }
    if (flight.status === 'garbage') end = await collectGarbage(session, flight);
    return { plan, random, flight, end };
  } finally {
    session.close();
  }
}

/** Plaintext where TLS should be usually comes with a close; take the rest of it, briefly. */
async function collectGarbage(session: Session, flight: FlightReader): Promise<ConnectionEnd> {
  const settle = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 200));
  for (;;) {
    const chunk = await Promise.race([session.next(), settle]);
    if (!Buffer.isBuffer(chunk)) return chunk === 'timeout' ? 'flight' : chunk;
    flight.push(chunk);
  }
}

export interface NodeTlsOutcome {
  ok: boolean;
  protocol?: string;
  cipher?: string;
  /** OpenSSL's words for what went wrong. */
  error?: string;
  /** DER certificates, leaf first, as Node's client saw the chain. */
  chain?: Buffer[];
  /** For implicit TLS: the SMTP session inside. */
  smtp?: SmtpFindings;
}

/** Node's TLS client, certificate checks off (the capture judges them itself). */
export async function probeNodeTls(target: Target, options: { minVersion: 'TLSv1' | 'TLSv1.3'; smtp: boolean }): Promise<NodeTlsOutcome> {
  const session = new Session(target);
  try {
    await session.open();
    if (!target.implicit) {
      const dialogue = new SmtpDialogue({ helo: target.helo, starttls: true });
      await converse(session, dialogue, Date.now());
      if (dialogue.state !== 'tls') throw new ProbeError(`${where(target)}: STARTTLS was not accepted on a later connection`);
    }
    const socket = tlsConnect({
      socket: session.socket,
      rejectUnauthorized: false,
      minVersion: options.minVersion,
      ...(options.minVersion === 'TLSv1' ? { ciphers: 'ALL:@SECLEVEL=0' } : {}),
      ...(target.serverName ? { servername: target.serverName } : {}),
    });
    const result = await handshake(socket, target.timeoutMs);
    if (!result.ok || !options.smtp) return result;
    const tlsSession = new Session(target, socket);
    const dialogue = new SmtpDialogue({ helo: target.helo, starttls: false });
    try {
      await converse(tlsSession, dialogue, Date.now());
    } catch (error) {
      if (!(error instanceof ProbeError)) throw error;
      return { ...result, smtp: dialogue.findings, error: error.message };
    } finally {
      tlsSession.close();
    }
    return { ...result, smtp: dialogue.findings };
  } finally {
    session.close();
  }
}

function handshake(socket: TLSSocket, timeoutMs: number): Promise<NodeTlsOutcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, error: `no handshake within ${timeoutMs} ms` }), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve({ ok: true, protocol: socket.getProtocol() ?? '', cipher: socket.getCipher().standardName, chain: peerChain(socket) });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error: opensslReason(error.message) });
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ ok: false, error: 'the server closed the connection' });
    });
  });
}

function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let certificate = socket.getPeerCertificate(true);
  while (certificate?.raw && !chain.some((der) => der.equals(certificate.raw))) {
    chain.push(certificate.raw);
    certificate = certificate.issuerCertificate;
  }
  return chain;
}

/** "error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:../ssl/...:SSL alert number 70" -> its words. */
export function opensslReason(message: string): string {
  const reason = /error:[0-9A-F]+:[^:]*:[^:]*:([^:\n]+)/.exec(message)?.[1];
  const alertNumber = /SSL alert number (\d+)/.exec(message)?.[1];
  return reason ? `${reason}${alertNumber ? ` (SSL alert number ${alertNumber})` : ''}` : message.trim();
}
