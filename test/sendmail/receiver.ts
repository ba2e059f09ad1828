// Real sendmail as the *receiver*: a private daemon on a loopback port, as a mail admin's
// MTA would take mail from a broken sender. Its .mc is small and its own (queue, pid file,
// statistics in a temp folder; the test CA's `valid` certificate as the server's, so that
// STARTTLS is offered and client certificates are asked for, as sendmail does when it has a
// CA), messages stay in its queue (DeliveryMode queueonly), and what it logs comes back
// through the suite's private syslog (support.ts).
//
// The daemon runs in a UTS namespace of its own (a dotted host name, without touching
// /etc/hosts) and in a process group of its own, which stop() ends whatever happened.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateCache } from '../../src/certs/cache.js';
import { DEFAULT_HOSTNAME, defaultCertDir, startSender, type SendResult, type StartSenderOptions } from '../../src/index.js';
import { run } from '../support/clients.js';
import { CF_M4, programPath, type PrivateSyslog } from './support.js';

export const RECEIVER_HOSTNAME = 'mx.receiver.test';

export interface ReceiverOptions {
  /** The access map, as text for makemap (Srv_Features:127.0.0.1\tS ...). */
  access?: string;
  /** More m4 lines for the .mc (FEATURE(`greet_pause'), define(`confTO_COMMAND') ...). */
  mc?: string[];
}

export interface QueuedMessage {
  file: string;
  sender: string;
  recipients: string[];
}

export interface ReceiverRun {
  /** What broken-mta send saw. */
  sent: SendResult;
  /** What sendmail logged to syslog during the run (mail.*), one line each. */
  syslog: string[];
  /** The messages sendmail took and queued. */
  queued: QueuedMessage[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

function receiverMc(dir: string, port: number, cert: { file: string; caFile: string }, extra: string[]): string {
  return [
    'divert(-1)',
    '# broken-mta: sendmail as the receiver, on a loopback port, queueing what it takes.',
    'divert(0)dnl',
    "OSTYPE(`linux')dnl",
    "define(`confLOG_LEVEL', `20')dnl",
    `define(\`QUEUE_DIR', \`${join(dir, 'queue')}')dnl`,
    `define(\`confPID_FILE', \`${join(dir, 'sendmail.pid')}')dnl`,
    `define(\`STATUS_FILE', \`${join(dir, 'statistics')}')dnl`,
    "define(`confDONT_PROBE_INTERFACES', `true')dnl",
    // Maps, certificates and the queue live below /tmp, which is world-writable.
    "define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl",
    "define(`confDELIVERY_MODE', `queueonly')dnl",
    `define(\`confCACERT_PATH', \`${join(cert.caFile, '..')}')dnl`,
    `define(\`confCACERT', \`${cert.caFile}')dnl`,
    `define(\`confSERVER_CERT', \`${cert.file}')dnl`,
    `define(\`confSERVER_KEY', \`${cert.file}')dnl`,
    // No DNS here: a sender domain that does not resolve must not be the reason for a 4xx.
    "FEATURE(`accept_unresolvable_domains')dnl",
    `FEATURE(\`access_db', \`hash -o -T<TMPF> ${join(dir, 'access')}')dnl`,
    `DAEMON_OPTIONS(\`Family=inet, Name=MTA-test, Port=${port}, Addr=127.0.0.1')dnl`,
    ...extra,
    "MAILER(`smtp')dnl",
    '',
  ].join('\n');
}

export class SendmailReceiver {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly syslog: PrivateSyslog,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(syslog: PrivateSyslog, { access = '', mc = [] }: ReceiverOptions = {}): Promise<SendmailReceiver> {
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-receiver-'));
    mkdirSync(join(dir, 'queue'), { mode: 0o700 });
    const cache = new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME);
    const cert = { file: (await cache.get('valid')).file, caFile: cache.caFile };
    const port = await freePort();
    writeFileSync(join(dir, 'access'), access);
    const made = await run(programPath('makemap'), ['hash', join(dir, 'access')], { input: access });
    if (made.code !== 0) throw new Error(`makemap failed: ${made.output}`);
    writeFileSync(join(dir, 'sendmail.mc'), receiverMc(dir, port, cert, mc));
    const compiled = await run(programPath('m4'), [CF_M4, join(dir, 'sendmail.mc')]);
    if (compiled.code !== 0) throw new Error(`m4 failed: ${compiled.output}`);
    writeFileSync(join(dir, 'sendmail.cf'), compiled.stdout);
    const script = `hostname ${RECEIVER_HOSTNAME} && exec ${programPath('sendmail')} -bD -C ${join(dir, 'sendmail.cf')}`;
    // A process group of its own: stop() ends the daemon and every child it forked.
    const child = spawn(programPath('unshare'), ['-u', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const receiver = new SendmailReceiver(dir, port, syslog, child, exited);
    try {
      await receiver.waitListening(() => output);
    } catch (error) {
      await receiver.stop();
      throw error;
    }
    return receiver;
  }

  /** Until the daemon listens; read from /proc, since a probing connection would be a session in its log. */
  private async waitListening(output: () => string): Promise<void> {
    const deadline = Date.now() + 15_000;
    const local = `0100007F:${this.port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`sendmail -bD exited (${this.child.exitCode}): ${output()}`);
      const listening = readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .some((line) => line.trim().split(/\s+/)[1] === local && line.trim().split(/\s+/)[3] === '0A');
      if (listening) return;
      if (Date.now() > deadline) throw new Error(`sendmail did not listen on 127.0.0.1:${this.port} within 15 s: ${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** One run of a sender scenario against this sendmail, with what sendmail logged and queued. */
  async send(scenario: string, options: Partial<StartSenderOptions> = {}): Promise<ReceiverRun> {
    const offset = this.syslog.offset();
    const sent = await startSender(scenario, { port: this.port, rcpt: ['rcpt@remote.example.test'], timeoutMs: 10_000, ...options });
    // sendmail's child may still be writing its last lines (the close, the queue file).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const syslog = await this.syslog.linesSince(offset);
    return { sent, syslog, queued: this.queued() };
  }

  /** The messages in the queue: sender (S line) and recipients (R lines) of each qf file. */
  queued(): QueuedMessage[] {
    const queue = join(this.dir, 'queue');
    return readdirSync(queue)
      .filter((file) => file.startsWith('qf'))
      .sort()
      .map((file) => {
        const lines = readFileSync(join(queue, file), 'latin1').split('\n');
        const sender = lines.find((line) => line.startsWith('S'))?.slice(1) ?? '';
        const recipients = lines.filter((line) => /^R[^:]*:/.test(line)).map((line) => line.slice(line.indexOf(':') + 1));
        return { file, sender, recipients };
      });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-this.child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 3000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
