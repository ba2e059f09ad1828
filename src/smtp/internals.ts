// The one door to smtp-server's internals (library-server.ts is its server's half).
// smtp-server speaks correct SMTP but has no hook between STARTTLS and the handshake,
// before the greeting, or around a command, so the session bends it by subclassing its
// connection. Every private member of the library that broken-mta reads, writes or
// overrides is used in these two files and nowhere else; the rest of the SMTP layer sees
// the named, typed methods below. test/smtp-internals.test.ts checks each
// name against the installed smtp-server, so an upgrade that renames one fails there first
// (package.json pins the version).
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { SMTPServer } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions, type TLSError } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import type { EngineConfig, EngineEvent } from '../tls/engine/engine.js';
import { EngineSocket } from '../tls/engine/socket.js';
import type { EncryptedLink } from '../tls/link.js';
import { ChunkReader } from './chunk-reader.js';
import type { ChunkWire } from './chunking.js';
import { guardLineLength, type WriteChunk } from './line-guard.js';
import { Lookahead } from './lookahead.js';
import { formatReply } from './reply.js';

export type { SMTPConnectionOptions, TLSError };

/** Each parser's lookahead and chunk reader (a field would not survive: the first parser is made inside super()). */
const lookaheads = new WeakMap<SMTPStream, Lookahead>();
const chunkReaders = new WeakMap<SMTPStream, ChunkReader>();
/** Each session's recipients of the transaction at hand, or of the last one. */
const transactionRecipients = new WeakMap<SMTPConnection, string[]>();

/**
 * smtp-server's connection, with its private methods turned into hooks (the abstract
 * methods) and its private state into named questions and operations.
 */
export abstract class LibraryConnection extends SMTPConnection {
  readonly #tcp: Socket;

  constructor(server: SMTPServer, socket: Socket, options?: SMTPConnectionOptions) {
    super(server, socket, options);
    this.#tcp = socket;
  }

  /** The TCP socket, under whatever TLS is layered on it. */
  protected get tcp(): Socket {
    return this.#tcp;
  }

  // --- hooks: where smtp-server would run its own code, it asks these ---------------------

  /** Instead of the greeting (_sendGreeting). */
  protected abstract greet(): void;
  /** Every command line, before smtp-server runs it (_onCommand). */
  protected abstract onCommandLine(line: Buffer, next: () => void): void;
  protected abstract onEhlo(command: Buffer, next: () => void): void;
  protected abstract onRecipient(command: Buffer, next: () => void): void;
  protected abstract onStartTls(command: Buffer, next: () => void): void;
  /** BDAT (RFC 3030), which smtp-server does not know. */
  protected abstract onBdat(command: Buffer, next: () => void): void;
  /** The handshake begins: after STARTTLS, or at once for implicit TLS (upgrade). */
  protected abstract onUpgrade(next: () => void, secured?: () => void): void;
  /** The idle timeout fired (_onTimeout). */
  protected abstract onIdleTimeout(): void;
  /** An error on the socket, or a TLS error smtp-server rewrote (_onError). */
  protected abstract onSocketError(error: TLSError): void;
  /** The connection is gone; called once, before smtp-server's own cleanup (_onClose). */
  protected abstract onClosed(): void;
  /** Longest command line, its line ending included. */
  protected abstract maxLineBytes(): number;
  protected abstract onLineTooLong(bytes: number, complete: boolean): void;

  override _sendGreeting(): void {
    this.greet();
  }
  override _onCommand(command: Buffer, callback?: () => void): void {
    if (this._parser) lookaheads.get(this._parser)?.dispatched();
    this.onCommandLine(command ?? Buffer.alloc(0), callback ?? (() => undefined));
  }
  override handler_EHLO(command: Buffer, callback: () => void): void {
    this.onEhlo(command, callback);
  }
  override handler_RCPT(command: Buffer, callback: () => void): void {
    this.onRecipient(command, callback);
  }
  override handler_STARTTLS(command: Buffer, callback: () => void): void {
    this.onStartTls(command, callback);
  }
  handler_BDAT(command: Buffer, callback: () => void): void {
    this.onBdat(command, callback);
  }
  override upgrade(callback: () => void, secureCallback?: () => void): void {
    this.onUpgrade(callback, secureCallback);
  }
  override _onTimeout(): void {
    this.onIdleTimeout();
  }
  override _onError(error: TLSError): void {
    this.onSocketError(error);
  }
  override _onClose(): void {
    if (!this._closed) this.onClosed();
    super._onClose();
  }

  /** Every parser the session gets (one more after STARTTLS) stops over-long lines. */
  override _createParser(): SMTPStream {
    const parser = super._createParser();
    const lookahead = new Lookahead();
    lookaheads.set(parser, lookahead);
    const parse = parser._write.bind(parser);
    const write: WriteChunk = (chunk, encoding, next) => {
      if (parser._dataMode) lookahead.content();
      else if (chunk) lookahead.arrived(chunk);
      parse(chunk, encoding, next);
    };
    // In a BDAT chunk the parser is told it reads a message (its commands wait, and the line
    // guard lets everything through); the reader takes the bytes before the parser sees them.
    const chunks = new ChunkReader(write, (reading) => {
      parser._dataMode = reading;
      if (reading) lookahead.content();
    });
    parser._write = guardLineLength(
      {
        write: chunks.write,
        passesThrough: () => parser._dataMode || parser.isClosed,
        carried: () => parser._remainder.length,
        dropCarried: () => void (parser._remainder = ''),
      },
      () => this.maxLineBytes(),
      (bytes, complete) => this.onLineTooLong(bytes, complete),
    );
    chunkReaders.set(parser, chunks);
    return parser;
  }

  // --- smtp-server's own behaviour, for the hooks to fall back on -------------------------

  protected libraryGreeting(): void {
    super._sendGreeting();
  }
  /** smtp-server's send(), which writes only to a socket open both ways; to a client that
   * has stopped writing (half-close.ts) the reply is written here. */
  protected libraryReply(code: number, data: string | string[] | undefined, context?: string | false): void {
    if (!this.canReply || this._socket.readyState !== 'writeOnly') return super.send(code, data, context);
    this._socket.write(formatReply(code, [data ?? ''].flat()));
    if (code === 421) this.close();
  }
  protected runCommand(line: Buffer, next: () => void): void {
    super._onCommand(line, next);
  }
  protected libraryEhlo(command: Buffer, next: () => void): void {
    super.handler_EHLO(command, next);
  }
  protected acceptRecipient(command: Buffer, next: () => void): void {
    const before = this.session.envelope?.rcptTo.length ?? 0;
    super.handler_RCPT(command, () => {
      const added = this.session.envelope?.rcptTo.slice(before).map((rcpt) => rcpt.address) ?? [];
      // The first recipient of a transaction forgets the last transaction's.
      transactionRecipients.set(this, [...(before === 0 ? [] : (transactionRecipients.get(this) ?? [])), ...added]);
      next();
    });
  }
  protected libraryStartTls(command: Buffer, next: () => void): void {
    super.handler_STARTTLS(command, next);
  }
  protected upgradeOnNode(next: () => void, secured?: () => void): void {
    super.upgrade(next, secured);
  }
  protected libraryIdleTimeout(): void {
    super._onTimeout();
  }
  protected librarySocketError(error: TLSError): void {
    super._onError(error);
  }

  // --- state ---------------------------------------------------------------------------

  /** The recipients accepted in the transaction at hand, or in the last one. */
  protected get recipients(): readonly string[] {
    return transactionRecipients.get(this) ?? [];
  }
  /** The command line now being run came with more input behind it (RFC 2920 pipelining). */
  protected get pipelined(): boolean {
    return Boolean(this._parser && lookaheads.get(this._parser)?.pipelined);
  }

  /** The socket the session reads and writes now: the raw one, or the TLS one on top. */
  protected get socket(): Socket {
    return this._socket;
  }
  /** Between STARTTLS (or connect, for implicit TLS) and the handshake's end: plaintext
   * lines are dropped and nothing can be written. */
  protected get handshaking(): boolean {
    return this._upgrading;
  }
  protected get closeBegun(): boolean {
    return this._closing;
  }
  /** close() has begun, or the connection is gone. */
  protected get ending(): boolean {
    return this._closing || this._closed;
  }
  protected get gone(): boolean {
    return this._closed;
  }
  /** smtp-server has made the session ready and takes commands (set before the greeting). */
  protected get takesCommands(): boolean {
    return this._ready;
  }
  /** The line is an answer inside an AUTH exchange, not a command. */
  protected get inAuthExchange(): boolean {
    return Boolean(this._nextHandler);
  }
  /** A message's content is being received, or handed to onData. */
  protected get inMessage(): boolean {
    return Boolean(this._dataStream) || Boolean(this._parser && this._parser._dataMode);
  }
  /** smtp-server's own rule: the idle timeout only counts while the client owes us input. */
  protected get clientOwesInput(): boolean {
    return !(this._handlerPending || (this._dataStream && this._parser && !this._parser._dataMode));
  }
  /** A reply written now would reach the client in plaintext SMTP (half-open included: half-close.ts). */
  protected get canReply(): boolean {
    return !this._upgrading && !this._socket.destroyed && (this._socket.readyState === 'open' || this._socket.readyState === 'writeOnly');
  }
  protected get maxClients(): number | undefined {
    return this._server.options.maxClients;
  }
  protected get openConnections(): number {
    return this._server.connections.size;
  }
  protected connectionsFrom(address: string): number {
    let count = 0;
    for (const connection of this._server.connections) if (connection.remoteAddress === address) count++;
    return count;
  }
  /** The certificate smtp-server serves, as a context for Node's TLS. */
  protected get secureContext(): SecureContext | undefined {
    return this._server.secureContext.get('*');
  }
  /** The address of `RCPT TO:` when a transaction is open and it is a new recipient. */
  protected newRecipient(command: Buffer): string | undefined {
    if (!this.session.envelope?.mailFrom) return undefined;
    const parsed = this._parseAddressCommand('rcpt to', command);
    if (!parsed || !parsed.address || this._rcptIndex.has(parsed.address.toLowerCase())) return undefined;
    return parsed.address;
  }

  // --- operations ------------------------------------------------------------------------

  /** What BDAT needs of the session: its transaction, its input, and DATA's way to the intake. */
  protected chunkWire(): ChunkWire {
    return {
      transaction: () => (this.session.envelope?.rcptTo.length ? this.session.envelope : undefined),
      readChunk: (bytes, sink) => (this._parser ? chunkReaders.get(this._parser)?.read(bytes, sink) : undefined),
      deliver: (stream, callback) => this._server.onData(stream, this.session, (err, message) => callback(err, typeof message === 'string' ? message : undefined)),
      endTransaction: () => {
        this._transactionCounter++;
        this._unrecognizedCommands = 0;
        this._resetSession();
      },
    };
  }

  /** smtp-server's socket listeners; `ready` runs when the session may greet. */
  protected listen(ready: () => void): void {
    this._setListeners(ready);
  }
  protected beginSession(): void {
    this.connectionReady();
  }
  /**
   * From here on the raw socket belongs to TLS (or to a fault pretending to be it): the
   * parser that read plaintext is retired (it drains what it holds without running it,
   * RFC 3207 §4.2), the session gets a new one, and replies are held back.
   */
  protected retireParser(): void {
    if (this._parser) {
      this._socket.unpipe(this._parser);
      this._parser.isClosed = true;
    }
    this._parser = this._createParser();
    this._upgrading = true;
  }
  /** Implicit TLS, while TLS faults run before the handshake: nothing is written, and a
   * reset or a close from the client still ends the session. Returns the release. */
  protected holdForTls(): () => void {
    this._upgrading = true;
    const onError = (error: Error) => this._onError(error);
    const onClose = (hadError: boolean) => this._onCloseEvent(hadError);
    this._socket.on('error', onError);
    this._socket.once('close', onClose);
    return () => {
      this._socket.off('error', onError);
      this._socket.off('close', onClose);
      this._upgrading = false;
    };
  }

  /**
   * Before the handshake: TLS, whichever engine, is layered on `link` instead of on the TCP
   * socket, which from here on only the link reads and writes.
   */
  protected interpose(link: EncryptedLink): void {
    const tcp = this._socket;
    tcp.unpipe();
    tcp.removeAllListeners();
    this._socket = asLibrarySocket(link.attach());
  }

  /** When the client next sends anything, the session reads none of it (its parser is closed), and `action` runs. */
  protected onNextBytes(action: () => void): void {
    const socket = this._socket;
    socket.prependOnceListener('data', () => {
      if (this._parser) {
        socket.unpipe(this._parser);
        this._parser.isClosed = true;
      }
      action();
    });
  }

  /**
   * smtp-server's upgrade() with the scripted engine in place of Node's TLSSocket: the same
   * retired parser and listeners; the session switches over in engineHandshakeDone.
   */
  protected upgradeOnEngine(config: EngineConfig, onEvent: (event: EngineEvent, secure: EngineSocket) => void, next: () => void): EngineSocket {
    this.retireParser();
    setImmediate(next);
    const raw = this._socket;
    raw.removeAllListeners();
    raw.on('error', (error) => this._onError(error));
    // The TCP socket, or the encrypted link on it: a ByteStream either way.
    const secure: EngineSocket = new EngineSocket(raw as Socket | EncryptedLink, config, (event) => onEvent(event, secure));
    secure.once('close', () => this._onCloseEvent(false));
    secure.on('error', (error) => this._onError(error));
    this._armTimeout(asLibrarySocket(secure));
    return secure;
  }

  /** As smtp-server does once a TLSSocket is secure: RFC 3207 §4.2's fresh session. */
  protected engineHandshakeDone(secure: EngineSocket, servername: string | undefined): boolean {
    if (!this._parser) return false;
    this.session.secure = this.secure = true;
    this._socket = asLibrarySocket(secure);
    this._upgrading = false;
    this.session.user = false;
    this.hostNameAppearsAs = false;
    this.openingCommand = false;
    this._resetSession();
    this.session.tlsOptions = this.tlsOptions = secure.getCipher();
    this.session.servername = servername;
    secure.pipe(this._parser);
    return true;
  }
}

/**
 * The engine's socket (or the encrypted link) where smtp-server expects a net.Socket. Each
 * is a Duplex with the members smtp-server uses on a session's socket (write, end,
 * destroy, pipe, pause and resume, setTimeout, readyState, the addresses, resetAndDestroy,
 * and the engine's getCipher); TypeScript cannot know that this is enough, so here, once,
 * it is told.
 */
function asLibrarySocket(socket: EngineSocket | EncryptedLink): Socket {
  return socket as unknown as Socket;
}
