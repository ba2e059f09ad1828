// The control API's HTTP server, on Node's own http module: seventeen operations need no router,
// and what a router would not do for us is most of this file anyway (bounded bodies, the
// bearer token, long polls and streams that end when the server stops). Every refusal is
// a 4xx with `{ "error": "one line" }`.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Control } from './control.js';
import { clip, HttpError } from './http-error.js';
import { CONTROL_ROUTES } from './openapi.js';
import type { Reply, Route } from './routes.js';
import { parseBody, parsePath, parseQuery } from './validate.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** An error line is one line, and short, whatever the request quoted into it. */
const MAX_ERROR_CHARS = 1000;
/** Long polls and event streams open at once. */
const MAX_WAITING = 64;

export interface ControlServerOptions {
  host: string;
  /** 0 takes a free port. */
  port: number;
  /** When set, every request must carry `Authorization: Bearer TOKEN`. */
  token?: string | undefined;
  /** Where an unexpected error is told (the client gets only "internal error"). */
  onError?: (error: Error) => void;
}

export interface ControlServer {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

interface Compiled {
  route: Route;
  segments: RegExp[];
}

const none = z.strictObject({});

/** `/messages/{id}.eml` → one pattern per path segment, with named groups. */
function compile(route: Route): Compiled {
  const segments = route.path
    .split('/')
    .slice(1)
    .map((segment) => new RegExp(`^${segment.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, '(?<$1>[^/]+?)')}$`));
  return { route, segments };
}

function match(compiled: Compiled, segments: string[]): Record<string, string> | undefined {
  if (compiled.segments.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, pattern] of compiled.segments.entries()) {
    const found = pattern.exec(segments[index]!);
    if (!found) return undefined;
    Object.assign(params, found.groups);
  }
  return params;
}

/** The path's segments, decoded; `.` and `..` are refused rather than resolved. */
function pathSegments(url: string): { segments: string[]; query: URLSearchParams } {
  if (!url.startsWith('/')) throw new HttpError(400, 'the request target must be a path');
  const at = url.indexOf('?');
  const [path, query] = at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
  let segments: string[];
  try {
    segments = path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'the path has a malformed %-escape');
  }
  if (segments.some((segment) => segment === '.' || segment === '..')) throw new HttpError(400, 'a path may not have . or .. segments');
  return { segments, query: new URLSearchParams(query) };
}

/** An error answer is one line, and short, whatever it quotes. */
function oneLine(message: string): string {
  const line = message.replace(/\s*[\r\n]+\s*/g, '; ');
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}...` : line;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Without a token, only loopback names are answered: a web page that rebinds its name to 127.0.0.1 gets nothing. */
function checkAccess(request: IncomingMessage, token: string | undefined): void {
  if (token !== undefined) {
    const given = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(given), digest(token))) throw new HttpError(401, 'a bearer token is required: Authorization: Bearer TOKEN (--control-token)', { 'www-authenticate': 'Bearer' });
    return;
  }
  const host = (request.headers.host ?? 'localhost').replace(/:\d+$/, '').toLowerCase();
  if (!/^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(host)) {
    throw new HttpError(403, `Host "${host}": without --control-token, only loopback names are answered (localhost, 127.0.0.1, [::1])`);
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new HttpError(415, `the body must be application/json (Content-Type: ${type || 'none'})`);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `the body is ${declared} bytes; at most ${MAX_BODY_BYTES}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `the body is not JSON: ${(error as Error).message}`);
  }
}

function hasBody(request: IncomingMessage): boolean {
  return Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  response.end(body);
}

function reply(response: ServerResponse, result: Reply): void {
  if ('streamed' in result) return;
  if ('json' in result) return send(response, result.status ?? 200, 'application/json; charset=utf-8', JSON.stringify(result.json));
  send(response, result.status ?? 200, result.contentType, result.body);
}

export async function serveControl(control: Control, options: ControlServerOptions): Promise<ControlServer> {
  const routes = CONTROL_ROUTES.map(compile);
  const stopping = new AbortController();
  let waiting = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    checkAccess(request, options.token);
    const { segments, query } = pathSegments(request.url ?? '/');
    const found = routes.flatMap((compiled) => {
      const params = match(compiled, segments);
      return params ? [{ route: compiled.route, params }] : [];
    });
    if (found.length === 0) throw new HttpError(404, `no such path: ${clip(request.url ?? '')}; GET /openapi.json describes the API`);
    const chosen = found.find(({ route }) => route.method === request.method);
    if (!chosen) {
      const allow = [...new Set(found.map(({ route }) => route.method))].join(', ');
      throw new HttpError(405, `${request.method} is not an operation of this path (it takes ${allow})`, { allow });
    }
    const { route, params } = chosen;
    const input = { control, params: parsePath(route.params ?? none, params), query: parseQuery(route.query ?? none, query), body: undefined as unknown, request, response };
    if (route.body) input.body = parseBody(route.body, await readJson(request), (scenario) => control.resolve(scenario));
    else if (hasBody(request)) throw new HttpError(400, `${route.method} ${route.path} takes no body`);
    const waits = route.path === '/events/stream' || (route.path === '/events' && (input.query as { wait?: number }).wait);
    if (waits) {
      if (waiting >= MAX_WAITING) throw new HttpError(503, `${MAX_WAITING} clients are waiting for events already; try again later`);
      waiting++;
      response.once('close', () => waiting--);
    }
    // Ends a long poll or a stream: the client has gone, or the server stops.
    const gone = new AbortController();
    const abort = () => gone.abort();
    stopping.signal.addEventListener('abort', abort);
    response.once('close', () => {
      abort();
      stopping.signal.removeEventListener('abort', abort);
    });
    reply(response, await route.handle({ ...input, signal: gone.signal } as Parameters<Route['handle']>[0]));
  };

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (request, response) => {
    handle(request, response).catch((error: Error) => {
      if (response.headersSent) return void response.destroy();
      const known = error instanceof HttpError;
      if (!known) options.onError?.(error);
      const status = known ? error.status : 500;
      // A body left unread (too big, or not wanted) is not read: the connection closes after the answer.
      const headers = { ...(known ? error.headers : {}), ...(request.complete ? {} : { connection: 'close' }) };
      send(response, status, 'application/json; charset=utf-8', JSON.stringify({ error: known ? oneLine(error.message) : 'internal error' }), headers);
    });
  });
  server.maxConnections = 256;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const host = options.host;
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        stopping.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
