// The control API in this process, on a free loopback port, stopped when the test ends;
// and a small HTTP client that says what came back.
import { onTestFinished } from 'vitest';
import { Control } from '../../src/control/control.js';
import { serveControl } from '../../src/control/http.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';

export interface Api {
  url: string;
  control: Control;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
}

export interface CallOptions {
  /** Sent as JSON, unless a string (sent as it is). */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed, when it is JSON. */
  json: any;
}

export async function startApi({ token, store, maxMessages }: { token?: string; store?: string; maxMessages?: number } = {}): Promise<Api> {
  const control = await Control.start({ host: '127.0.0.1', hostname: DEFAULT_HOSTNAME, certDir: defaultCertDir(), ...(store ? { store } : {}), ...(maxMessages ? { limits: { maxMessages } } : {}) });
  const server = await serveControl(control, { host: '127.0.0.1', port: 0, token, onError: (error) => process.stderr.write(`control API: ${error.stack}\n`) });
  onTestFinished(async () => {
    await server.close();
    await control.close();
  });
  return { url: server.url, control, call: (method, path, options) => call(server.url, method, path, options) };
}

export async function call(url: string, method: string, path: string, { body, headers = {} }: CallOptions = {}): Promise<Answer> {
  const json = body !== undefined && typeof body !== 'string';
  const response = await fetch(url + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: json ? JSON.stringify(body) : (body as string) } : {}),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: parsed };
}

/** Long-polls /events until one matches, as a client in any language would. */
export async function waitForEvent(api: Api, predicate: (event: any) => boolean, { listener, timeoutMs = 5000 }: { listener?: number; timeoutMs?: number } = {}): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let since = 0;
  while (Date.now() < deadline) {
    const page = (await api.call('GET', `/events?since=${since}&wait=${Math.max(1, deadline - Date.now())}${listener ? `&listener=${listener}` : ''}`)).json;
    const found = page.events.find(predicate);
    if (found) return found;
    since = page.last;
  }
  throw new Error(`no matching event within ${timeoutMs} ms`);
}
