// smtp-server's server, the other half of the one door to smtp-server's internals
// (internals.ts has the connection's): it makes BrokenConnections, answers OCSP requests,
// and skips the library's per-connection random id. test/smtp-internals.test.ts checks
// every private name used here against the installed smtp-server.
import type { Server, Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { LibraryConnection, SMTPConnectionOptions } from './internals.js';

/** smtp-server's server, making our connections, with the options the library worked out. */
export class LibraryServer<Connection extends LibraryConnection> extends SMTPServer {
  constructor(
    options: SMTPServerOptions,
    private readonly makeConnection: (server: SMTPServer, socket: Socket, options: SMTPConnectionOptions | undefined) => Connection,
    private readonly onConnection: (connection: Connection) => void,
  ) {
    super(options);
  }

  /**
   * Answers the OCSP status requests of every handshake on this server's sockets: Node asks
   * the server a TLSSocket names, which for smtp-server is its plain net.Server. With no SNI
   * Node looks for the default context in _sharedCreds, which only a tls.Server has of its
   * own, so the default context is put there. `answer` gets the certificate being served
   * and returns the DER response to staple, or nothing.
   */
  answerOcspRequests(answer: (certificate: Buffer) => Buffer | undefined): void {
    const plain = this.server as Server & { _sharedCreds?: SecureContext | undefined };
    plain._sharedCreds = this.secureContext.get('*');
    plain.on('OCSPRequest', (certificate: Buffer, _issuer: Buffer | null, callback: (error: Error | null, response?: Buffer) => void) => callback(null, answer(certificate)));
  }

  /**
   * On its way to connect(), smtp-server draws a random id for every connection (from
   * crypto.randomBytes, through a BigInt), which BrokenConnection replaces with its
   * session number; only a PROXY header (useProxy, which broken-mta never sets) needs the
   * library's own way.
   */
  override _handleProxy(socket: Socket, callback: Parameters<SMTPServer['_handleProxy']>[1]): void {
    if (this._expectsProxyHeader(socket)) return super._handleProxy(socket, callback);
    const ignore = this.options.ignoredHosts?.includes(socket.remoteAddress ?? '');
    setImmediate(() => callback(null, { id: '', ignore }));
  }

  override connect(socket: Socket, socketOptions?: SMTPConnectionOptions): void {
    const connection = this.makeConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (error: Error) => this._onError(error));
    connection.on('connect', (data) => this._onClientConnect(data));
    this.onConnection(connection);
    connection.init();
  }
}
