// Real client programs, run as they are run by hand. Every run is bounded in time and
// killed however it ends; nothing here reaches beyond loopback.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';

export interface ProgramResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, in the order they came. */
  output: string;
}

export function run(
  command: string,
  args: string[],
  { input = '', timeoutMs = 15_000, env, cwd }: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env, ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk), (output += chunk)));
    child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk), (output += chunk)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** `openssl s_client -starttls smtp -crlf`, given QUIT on stdin. */
export function opensslStarttls(port: number, extra: string[] = [], input = 'QUIT\r\n'): Promise<ProgramResult> {
  return run('openssl', ['s_client', '-starttls', 'smtp', '-crlf', '-connect', `127.0.0.1:${port}`, '-servername', 'mx.broken-mta.test', ...extra], {
    input,
  });
}

export interface SendOptions {
  port: number;
  ca?: string;
  requireTLS?: boolean;
  ignoreTLS?: boolean;
  /** Go on in plaintext when STARTTLS is refused (nodemailer fails otherwise). */
  opportunisticTLS?: boolean;
  rejectUnauthorized?: boolean;
  from?: string;
  to?: string[];
  /** More TLS options (a client certificate...). */
  tls?: Record<string, unknown>;
  /** Overrides for the transport (timeouts, name...). */
  transport?: Record<string, unknown>;
  /** Overrides for the message (text, messageId...). */
  message?: Record<string, unknown>;
}

/** nodemailer, as an application would use it; resolves to the outcome, never throws. */
export async function sendWithNodemailer(
  options: SendOptions,
): Promise<{ ok: boolean; response?: string; rejected?: string[]; error?: Error & { code?: string; response?: string } }> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: options.port,
    secure: false,
    name: 'client.example.test',
    requireTLS: options.requireTLS ?? false,
    ignoreTLS: options.ignoreTLS ?? false,
    opportunisticTLS: options.opportunisticTLS ?? false,
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 5000,
    ...options.transport,
    tls: {
      servername: 'mx.broken-mta.test',
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      ...(options.ca ? { ca: options.ca } : {}),
      ...options.tls,
    },
  });
  try {
    const info = await transport.sendMail({
      from: options.from ?? 'sender@client.example.test',
      to: options.to ?? ['rcpt@mx.broken-mta.test'],
      subject: 'broken-mta test',
      text: 'Hello from the test suite.\r\n',
      ...options.message,
    });
    return { ok: true, response: info.response, rejected: info.rejected as string[] };
  } catch (error) {
    return { ok: false, error: error as Error & { code?: string; response?: string } };
  } finally {
    transport.close();
  }
}

/** A raw TCP client for what no polite client does. */
export function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads from a socket until `pattern` matches what has arrived, or the time is up. */
export function readUntil(socket: Socket, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (pattern.test(seen)) finish(() => resolve(seen));
    };
    const onEnd = () => finish(() => (pattern.test(seen) ? resolve(seen) : reject(new Error(`connection ended before ${pattern}; got: ${seen}`))));
    const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${pattern}; got: ${seen}`))), timeoutMs);
    const finish = (then: () => void) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      then();
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}

/** swaks, sending one small message; extra arguments as on its command line. */
export function swaks(port: number, extra: string[] = []): Promise<ProgramResult> {
  return run('swaks', ['--server', `127.0.0.1:${port}`, '--from', 'sender@client.example.test', '--to', 'rcpt@mx.broken-mta.test', '--timeout', '5', ...extra], {
    timeoutMs: 30_000,
  });
}

/** gnutls-cli through STARTTLS; it reads `input` after the handshake. */
export function gnutlsStarttls(port: number, extra: string[] = [], input = 'QUIT\r\n'): Promise<ProgramResult> {
  return run('gnutls-cli', ['--starttls-proto=smtp', '--port', String(port), ...extra, '127.0.0.1'], { input, timeoutMs: 15_000 });
}
