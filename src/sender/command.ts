// `broken-mta send`: the catalogue's mirror. broken-mta is the broken client, pointed at
// the admin's own MTA; it prints what the MTA did, step by step, and exits 0 when that is
// what a healthy receiver does (the scenario's `expect`), 1 otherwise or when the MTA
// could not be talked to, 2 on bad input.
import { Command, InvalidArgumentError } from 'commander';
import type { SessionEvent } from '../events.js';
import { SEND_DEFAULTS } from './defaults.js';

function parseTarget(value: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) throw new InvalidArgumentError('give HOST:PORT, such as 127.0.0.1:25');
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

function parsePositive(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('a whole number, 1 or more');
  return Number(value);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function sendCommand(program: Command): void {
  const send = program
    .command('send')
    .description('play a broken SMTP *client* against your MTA and report what it did')
    .option('-s, --scenario <name|file>', 'the sender scenario: a name from `broken-mta list` (senders) or a .yaml file')
    .requiredOption('--to <host:port>', 'the MTA to send to', parseTarget)
    .option('--from <address>', 'the envelope sender', SEND_DEFAULTS.from)
    .option('--rcpt <address>', `a recipient your MTA accepts (repeat for more; default ${SEND_DEFAULTS.rcpt})`, collect)
    .option('--helo <name>', 'the name in EHLO/HELO', SEND_DEFAULTS.helo)
    .option('--count <n>', "sessions to run, one message each (default: the scenario's)", parsePositive)
    .option('--timeout <ms>', 'how long any one wait may last (connect, each reply, the handshake)', parsePositive, SEND_DEFAULTS.timeoutMs)
    .option('--json', 'print every event as one JSON line, and the result as the last line')
    .addHelpText(
      'after',
      '\nExit status: 0 when your MTA did what the scenario calls healthy (its `expect`), 1 when it did not\n' +
        'or could not be talked to at all (no connection, no greeting), 2 on bad input.\n\n' +
        'Examples:\n' +
        '  broken-mta send --scenario sender-pregreet --to 127.0.0.1:25\n' +
        '  broken-mta send --scenario sender-smtp-smuggling --to mx.example.test:25 --rcpt postmaster@example.test\n',
    )
    .action(async (options: { scenario?: string; to: { host: string; port: number }; from: string; rcpt?: string[]; helo: string; count?: number; timeout: number; json?: boolean }) => {
      // The program has a --scenario and a --json of its own (for serving), which commander reads first.
      const reference = options.scenario ?? program.opts<{ scenario?: string }>().scenario;
      const json = options.json ?? program.opts<{ json?: boolean }>().json;
      if (!reference) send.error('error: send needs --scenario NAME|FILE (the senders in `broken-mta list`)');
      // Loaded when the command runs, as cli.ts's own commands do.
      const [{ formatSenderEvent, formatVerdict }, { sendScenario }] = await Promise.all([import('./report.js'), import('./start.js')]);
      const line = (event: SessionEvent) => (json ? JSON.stringify(event) : formatSenderEvent(event));
      // Held back until the receiver has said something: one that cannot be talked to at
      // all gets one line (the error), not a "connected" line before it.
      let held: SessionEvent[] | undefined = [];
      const print = (event: SessionEvent) => {
        if (held && event.type !== 'reply') return void held.push(event);
        for (const earlier of held ?? []) console.log(line(earlier));
        held = undefined;
        console.log(line(event));
      };
      const result = await sendScenario(reference!, {
        host: options.to.host,
        port: options.to.port,
        from: options.from,
        ...(options.rcpt ? { rcpt: options.rcpt } : {}),
        helo: options.helo,
        ...(options.count ? { count: options.count } : {}),
        timeoutMs: options.timeout,
        onEvent: print,
      });
      for (const earlier of held ?? []) console.log(line(earlier));
      console.log(json ? JSON.stringify({ type: 'result', outcome: result.outcome, asExpected: result.asExpected }) : formatVerdict(result));
      if (!result.asExpected) process.exitCode = 1;
    });
}
