// The MTA-STS policy host: HTTPS at mta-sts.{domain}, serving the policy file at
// /.well-known/mta-sts.txt (RFC 8461 §3.3) or misbehaving as the scenario says. Node's https
// module is enough: the faults are in what it answers, not in how it speaks HTTP. Port 443
// is where senders look (they take no port from anywhere), so a judge needs root or a
// port it can be told; tests may pass port 0.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { firstPolicy, POLICY_PATH, policyText, rotatedPolicy, type MtaStsSettings, type PublishedPolicy } from './policy.js';

export interface PolicyRequest {
  path: string;
  status: number | 'no answer';
  /** The policy id served (200 only). */
  id?: string;
  remoteAddress: string;
}

export interface PolicyHostOptions {
  settings: MtaStsSettings;
  domain: string;
  /** The certificate and key served: the profile `settings.host.cert`. */
  key: string;
  cert: string;
  host: string;
  port: number;
  onRequest?: (request: PolicyRequest) => void;
}

export interface PolicyHost {
  readonly host: string;
  readonly port: number;
  /** The policy served now; after rotate(), the next one. */
  readonly policy: PublishedPolicy;
  /** Publishes `next` (a new id): the TXT record's owner must change it too. */
  rotate(): PublishedPolicy;
  close(): Promise<void>;
}

/** The one place a redirect points: a copy of the policy a follower would fetch. */
const REDIRECTED_PATH = '/moved/mta-sts.txt';

export async function servePolicyHost(options: PolicyHostOptions): Promise<PolicyHost> {
  const { settings, domain } = options;
  let policy = firstPolicy(settings);
  const hanging = new Set<Socket>();
  const answer = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?')[0]!.slice(0, 200);
    const record = (status: PolicyRequest['status'], id?: string) =>
      options.onRequest?.({ path, status, ...(id ? { id } : {}), remoteAddress: request.socket.remoteAddress ?? '' });
    response.shouldKeepAlive = false;
    const served = path === POLICY_PATH || (path === REDIRECTED_PATH && settings.host.answer === 'redirect');
    if (!served || request.method !== 'GET' || settings.host.answer === 'not-found') {
      record(404);
      return void response.writeHead(404, { 'content-type': 'text/plain' }).end('404 Not Found\n');
    }
    if (settings.host.answer === 'hang') {
      record('no answer');
      return void hanging.add(request.socket);
    }
    if (settings.host.answer === 'redirect' && path === POLICY_PATH) {
      record(301);
      return void response.writeHead(301, { location: `https://mta-sts.${domain}${REDIRECTED_PATH}`, 'content-type': 'text/plain' }).end('Moved\n');
    }
    const body = policyText(policy, domain);
    record(200, policy.id);
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  const server = createServer({ key: options.key, cert: options.cert }, answer);
  // Bounded like the SMTP side; a hang lasts until the client gives up or the host closes.
  server.headersTimeout = 5000;
  server.requestTimeout = 0;
  server.maxHeadersCount = 50;
  server.maxConnections = 50;
  await listen(server, options.host, options.port);
  return {
    host: options.host,
    port: (server.address() as AddressInfo).port,
    get policy() {
      return policy;
    },
    rotate() {
      policy = rotatedPolicy(settings) ?? policy;
      return policy;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of hanging) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
