// The CRL distribution point a certificate names, served by broken-mta itself over HTTP:
// on the scenario's own address (loopback by default), on a port of its own choosing, so
// a client that checks revocation never reaches beyond this machine.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where an authority's CRL lives on the revocation server. */
export function crlPath(authority: string): string {
  return `/${authority}.crl`;
}

export interface RevocationRequest {
  path: string;
  status: number;
  remoteAddress: string;
}

export interface RevocationServer {
  /** `http://host:port`, what certificates name. */
  readonly base: string;
  /** Serves `body` (DER) at `path` from now on. */
  publish(path: string, body: Buffer): void;
  close(): Promise<void>;
}

export async function serveRevocation(host: string, onRequest: (request: RevocationRequest) => void): Promise<RevocationServer> {
  const documents = new Map<string, Buffer>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?')[0]!;
    const body = documents.get(path);
    const status = request.method !== 'GET' && request.method !== 'HEAD' ? 405 : body ? 200 : 404;
    onRequest({ path: path.slice(0, 200), status, remoteAddress: request.socket.remoteAddress ?? '' });
    response.shouldKeepAlive = false;
    if (status !== 200) return void response.writeHead(status, { 'content-type': 'text/plain' }).end(`${status}\n`);
    response.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': body!.length });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  // Bounded like the SMTP side: a client that opens and says nothing is let go soon.
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  server.keepAliveTimeout = 1000;
  server.maxHeadersCount = 50;
  server.maxConnections = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard address is no place to send a client to: the certificate names loopback.
  const named = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    base: `http://${named}:${port}`,
    publish: (path, body) => documents.set(path, body),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
