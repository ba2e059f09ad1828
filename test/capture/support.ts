// The three judges of a capture (openssl s_client, gnutls-cli, swaks), run as the README
// runs them, and what a run comes to: one row of the matrix, from the client's side and,
// when the server is ours, from its events.
import type { RunningScenario, SessionEvent } from '../../src/index.js';
import { run, type ProgramResult } from '../support/clients.js';

export const JUDGES = ['openssl', 'gnutls', 'swaks'] as const;
export type Judge = (typeof JUDGES)[number];

export interface Endpoint {
  port: number;
  ca: string;
  implicit: boolean;
}

export function runJudge(judge: Judge, { port, ca, implicit }: Endpoint): Promise<ProgramResult> {
  const address = `127.0.0.1:${port}`;
  switch (judge) {
    case 'openssl':
      return run('openssl', ['s_client', ...(implicit ? [] : ['-starttls', 'smtp']), '-crlf', '-connect', address, '-CAfile', ca, '-verify_return_error', '-verify_ip', '127.0.0.1'], {
        input: 'QUIT\r\n',
      });
    case 'gnutls':
      return run('gnutls-cli', ['--port', String(port), '--x509cafile', ca, ...(implicit ? [] : ['--starttls-proto=smtp']), '127.0.0.1'], { input: 'QUIT\r\n' });
    case 'swaks':
      return run('swaks', ['--server', address, '--from', 'sender@example.test', '--to', 'rcpt@example.test', implicit ? '--tls-on-connect' : '--tls-optional-strict', '--tls-verify', '--tls-ca-path', ca, '--timeout', '5'], {
        timeoutMs: 30_000,
      });
  }
}

/** What a client run came to, as the matrix compares it. */
export interface Row {
  exit: 'zero' | 'nonzero';
  /** openssl's first verify error, or its verify return code. */
  verify?: number;
  /** From the server's events, when it is ours. */
  tls?: 'established' | 'failed' | 'none';
  alert?: number;
  delivered?: boolean;
}

export function clientRow(judge: Judge, result: ProgramResult): Row {
  const row: Row = { exit: result.code === 0 ? 'zero' : 'nonzero' };
  if (judge === 'openssl') {
    const verify = /verify error:num=(\d+)/.exec(result.output)?.[1] ?? /Verify return code: (\d+)/.exec(result.output)?.[1];
    if (verify !== undefined) row.verify = Number(verify);
  }
  return row;
}

export function serverRow(events: readonly SessionEvent[]): Pick<Row, 'tls' | 'alert' | 'delivered'> {
  const failed = events.find((event) => event.type === 'tls-failed');
  const alert = failed?.type === 'tls-failed' ? failed.clientAlert?.code : undefined;
  return {
    tls: events.some((event) => event.type === 'tls-established') ? 'established' : failed ? 'failed' : 'none',
    ...(alert !== undefined ? { alert } : {}),
    delivered: events.some((event) => event.type === 'message'),
  };
}

/** One client against one of our servers: its row, with the server's side of the session. */
export async function observe(judge: Judge, mta: RunningScenario): Promise<Row> {
  const before = mta.events.length;
  const sessions = mta.sessions;
  const result = await runJudge(judge, { port: mta.port, ca: mta.caFile, implicit: Boolean(mta.scenario.tls?.implicit) });
  // The server records the end of a session just after the client has gone.
  await mta.waitFor((event) => event.type === 'close' && event.session > sessions, { timeoutMs: 3000 }).catch(() => undefined);
  // An alert read in the same tick as the close may be recorded just after it.
  await new Promise((resolve) => setTimeout(resolve, 20));
  // Only this client's sessions: the capture's own may still be closing on the original.
  return { ...clientRow(judge, result), ...serverRow(mta.events.slice(before).filter((event) => event.session > sessions)) };
}

export const describeRow = (row: Row) =>
  [row.tls && `TLS ${row.tls}`, row.alert !== undefined && `alert ${row.alert}`, row.verify !== undefined && `verify ${row.verify}`, row.delivered !== undefined && (row.delivered ? 'delivered' : 'not delivered'), `exit ${row.exit}`]
    .filter(Boolean)
    .join(', ');

/** Runs `work` over the items, `width` at a time, in order of the items. */
export async function pool<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((_, column) => Math.max(header[column]!.length, ...rows.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
