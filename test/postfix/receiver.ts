// Real Postfix as the *receiver* of broken senders: Debian's stock main.cf and master.cf,
// with smtpd on a loopback port in place of port 25, the test CA's `valid` certificate as
// smtpd's (so that STARTTLS is offered), and the log in a file of its own (maillog_file,
// through postlogd). What smtpd takes stays in the private queue (defer_transports):
// nothing is delivered anywhere.
//
// One instance serves every run of a configuration: a run's log lines are those written
// after the previous run's, and its messages are those that arrived in the queue meanwhile.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateCache } from '../../src/certs/cache.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';
import { mtaCommand, RUN_IN_NAMESPACE, sleep, STOCK_CONFIG, unpacked, workDir } from '../mta/support.js';
import { freePort, RECEIVER_HOSTNAME, sendAndWatch, waitListening, type Receiver, type ReceiverRun } from '../mta/receiver.js';
import { run } from '../support/clients.js';
import { stopPostfix } from './support.js';

function postfixIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postfix:'));
  if (!line) throw new Error('no user postfix: test/mta/fetch.sh creates it');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PostfixReceiverOptions {
  /** An admin's main.cf settings after the test's, `name = value` each (postconf -e). */
  settings?: string[];
  /** The admin's main.cf (master.cf beside it); Debian's stock one by default. */
  mainCf?: string;
}

/** What a receiving test run changes in the admin's main.cf. */
function receiverSettings(dir: string, certFile: string, caFile: string): string[] {
  return [
    `queue_directory = ${join(dir, 'queue')}`,
    `data_directory = ${join(dir, 'data')}`,
    `maillog_file = ${join(dir, 'maillog')}`,
    `maillog_file_prefixes = ${dir}`,
    `myhostname = ${RECEIVER_HOSTNAME}`,
    `smtpd_tls_cert_file = ${certFile}`,
    `smtpd_tls_key_file = ${certFile}`,
    `smtpd_tls_CAfile = ${caFile}`,
    'smtpd_tls_security_level = may',
    'smtpd_tls_loglevel = 1',
    'inet_interfaces = loopback-only',
    'alias_maps =',
    'alias_database =',
    // What smtpd takes stays in the queue: the queue manager defers it, delivering nothing.
    'defer_transports = relay smtp local virtual',
  ];
}

export class PostfixReceiver implements Receiver {
  readonly maillog: string;
  private readonly conf: string;
  private master: ChildProcess | undefined;
  private masterExited: Promise<void> | undefined;
  private masterOutput = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.conf = join(dir, 'conf');
    this.maillog = join(dir, 'maillog');
  }

  static async start({ settings = [], mainCf = STOCK_CONFIG.postfix }: PostfixReceiverOptions = {}): Promise<PostfixReceiver> {
    const receiver = new PostfixReceiver(workDir('postfix-receiver'), await freePort());
    try {
      await receiver.configure(mainCf, settings);
      await receiver.startMaster();
      return receiver;
    } catch (error) {
      await receiver.stop();
      throw error;
    }
  }

  private async configure(mainCf: string, settings: string[]): Promise<void> {
    mkdirSync(this.conf);
    const copied = await run('cp', ['-a', unpacked('postfix', '..', 'queue'), join(this.dir, 'queue')]);
    if (copied.code !== 0) throw new Error(`copying the queue skeleton failed: ${copied.output}`);
    mkdirSync(join(this.dir, 'data'));
    const postfix = postfixIds();
    chownSync(join(this.dir, 'data'), postfix.uid, postfix.gid);
    copyFileSync(mainCf, join(this.conf, 'main.cf'));
    copyFileSync(join(mainCf, '..', 'master.cf'), join(this.conf, 'master.cf'));
    const cache = new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME);
    const certFile = (await cache.get('valid')).file;
    const all = [...receiverSettings(this.dir, certFile, cache.caFile), ...settings];
    await this.postfix(['postconf', '-c', this.conf, '-e', ...all.map((s) => s.replace(/\s*=\s*/, '='))]);
    // smtpd on the test's port instead of 25; no chroot, which would need the certificates
    // copied into the queue.
    const smtpd = await this.postfix(['postconf', '-c', this.conf, '-M', 'smtp/inet']);
    await this.postfix(['postconf', '-c', this.conf, '-M#', 'smtp/inet']);
    await this.postfix(['postconf', '-c', this.conf, '-Me', `127.0.0.1:${this.port}/inet=${smtpd.trim().replace(/^smtp\s/, `127.0.0.1:${this.port} `)}`]);
    await this.postfix(['postconf', '-c', this.conf, '-F', '*/*/chroot = n']);
  }

  private async postfix(args: string[]): Promise<string> {
    const result = await mtaCommand('postfix', args);
    if (result.code !== 0) throw new Error(`${args.join(' ')} failed (exit ${result.code}): ${result.output}\n${this.logLines().join('\n')}`);
    return result.stdout;
  }

  /** An admin's change on the running receiver: `postconf -e`, then `postfix reload`. */
  async reconfigure(settings: string[]): Promise<void> {
    const from = this.logLines().length;
    await this.postfix(['postconf', '-c', this.conf, '-e', ...settings.map((s) => s.replace(/\s*=\s*/, '='))]);
    await this.postfix(['postfix', '-c', this.conf, 'reload']);
    const deadline = Date.now() + 10_000;
    while (!this.logLines().slice(from).some((line) => /postfix\/master\[\d+\]: reload -- /.test(line))) {
      if (Date.now() > deadline) throw new Error(`postfix reload: no "reload --" line in 10 s\n${this.logLines().slice(from).join('\n')}`);
      await sleep(25);
    }
  }

  logLines(): string[] {
    return existsSync(this.maillog)
      ? readFileSync(this.maillog, 'utf8')
          .split('\n')
          .filter((line) => line.length > 0)
      : [];
  }

  private async startMaster(): Promise<void> {
    const master = spawn(RUN_IN_NAMESPACE, ['postfix', 'postfix', '-c', this.conf, 'start-fg'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.master = master;
    master.stdout!.on('data', (chunk: Buffer) => (this.masterOutput += chunk));
    master.stderr!.on('data', (chunk: Buffer) => (this.masterOutput += chunk));
    this.masterExited = new Promise((resolve) => master.once('exit', () => resolve()));
    await waitListening(this.port, () => (master.exitCode === null ? undefined : `postfix start-fg exited (${master.exitCode}): ${this.masterOutput}\n${this.logLines().join('\n')}`));
  }

  /** Messages in the queue, wherever the queue manager has put them. */
  queued(): number {
    return ['incoming', 'active', 'deferred', 'hold'].reduce((sum, sub) => sum + countFiles(join(this.dir, 'queue', sub)), 0);
  }

  async send(scenario: string, options: Parameters<Receiver['send']>[1] = {}): Promise<ReceiverRun> {
    // smtpd logs "disconnect from" as a session ends: the run's lines are complete once
    // there is one per session the sender opened.
    return sendAndWatch(this, scenario, options, (lines) => lines.filter((line) => /postfix\/smtpd\[\d+\]: disconnect from /.test(line)).length);
  }

  /** `postfix stop` (support.ts's stopPostfix), then the folder goes. */
  async stop(): Promise<void> {
    await stopPostfix(this.dir, this.conf, this.master, this.masterExited);
  }
}

function countFiles(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
  } catch {
    return 0;
  }
}


