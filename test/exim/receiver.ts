// Real Exim as the *receiver* of broken senders: Debian's configuration (the one
// update-exim4.conf writes for a stock install) with TLS turned on the Debian way
// (MAIN_TLS_ENABLE, the test CA's `valid` certificate as Exim's), run as a listening daemon
// in the foreground (`exim4 -bdf`) on a loopback port. What Exim takes stays in its private
// spool (queue_only): nothing is delivered anywhere. Its log files are its own
// (log_file_path: no syslog), with connections logged (+smtp_connection) so that a run's
// lines are known to be complete.
//
// One daemon serves every run of a configuration, as for Postfix (test/postfix/receiver.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateCache } from '../../src/certs/cache.js';
import { DEFAULT_HOSTNAME, defaultCertDir } from '../../src/index.js';
import { RUN_IN_NAMESPACE, STOCK_CONFIG, workDir } from '../mta/support.js';
import { freePort, RECEIVER_HOSTNAME, sendAndWatch, waitListening, type Receiver, type ReceiverRun } from '../mta/receiver.js';

function eximIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Debian-exim:'));
  if (!line) throw new Error('no user Debian-exim: test/mta/fetch.sh creates it');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface EximReceiverOptions {
  /** An admin's settings: Debian's macros or main options, `NAME = value` each, as exim4.conf.localmacros holds them. */
  macros?: string[];
  /** The admin's configuration (update-exim4.conf's output, or a single exim4.conf); Debian's stock one by default. */
  config?: string;
}

/** What a receiving test run puts before the admin's configuration. */
function receiverMacros(dir: string, certFile: string, caFile: string): string[] {
  return [
    '# broken-mta: a receiving test run, as /etc/exim4/exim4.conf.localmacros would say it',
    `MAIN_HARDCODE_PRIMARY_HOSTNAME = ${RECEIVER_HOSTNAME}`,
    `SPOOLDIR = ${join(dir, 'spool')}`,
    `log_file_path = ${join(dir, 'log', '%slog')}`,
    'MAIN_TLS_ENABLE = yes',
    `MAIN_TLS_CERTIFICATE = ${certFile}`,
    `MAIN_TLS_PRIVATEKEY = ${certFile}`,
    `MAIN_TLS_VERIFY_CERTIFICATES = ${caFile}`,
    'MAIN_LOG_SELECTOR = +smtp_protocol_error +smtp_syntax_error +tls_certificate_verified +tls_peerdn +smtp_connection',
    // What Exim takes waits in the spool: no delivery, no bounce.
    'queue_only = true',
  ];
}

export class EximReceiver implements Receiver {
  readonly mainlog: string;
  private daemon: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.mainlog = join(dir, 'log', 'mainlog');
  }

  static async start({ macros = [], config = STOCK_CONFIG.exim }: EximReceiverOptions = {}): Promise<EximReceiver> {
    const receiver = new EximReceiver(workDir('exim-receiver'), await freePort());
    try {
      const exim = eximIds();
      for (const sub of ['spool', 'log']) {
        mkdirSync(join(receiver.dir, sub));
        chownSync(join(receiver.dir, sub), exim.uid, exim.gid);
      }
      // Exim reads its key as Debian-exim, as Debian's /etc/exim4/exim.key (root:Debian-exim 0640).
      const cache = new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME);
      const certFile = join(receiver.dir, 'exim.pem');
      copyFileSync((await cache.get('valid')).file, certFile);
      chownSync(certFile, 0, exim.gid);
      chmodSync(certFile, 0o640);
      const header = [...receiverMacros(receiver.dir, certFile, cache.caFile), ...macros, ''].join('\n');
      writeFileSync(join(receiver.dir, 'exim4.conf'), header + readFileSync(config, 'utf8'));
      await receiver.startDaemon();
      return receiver;
    } catch (error) {
      await receiver.stop();
      throw error;
    }
  }

  /** `exim4 -bdf`, in a process group of its own: stop() ends it and every session it forked. */
  private async startDaemon(): Promise<void> {
    // A pid file, so that .ci/run can stop a daemon a killed test run left behind.
    const args = ['exim', 'exim4', '-C', join(this.dir, 'exim4.conf'), '-bdf', '-oX', `127.0.0.1.${this.port}`, '-oP', join(this.dir, 'exim.pid')];
    const daemon = spawn(RUN_IN_NAMESPACE, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.daemon = daemon;
    daemon.stdout!.on('data', (chunk: Buffer) => (this.output += chunk));
    daemon.stderr!.on('data', (chunk: Buffer) => (this.output += chunk));
    this.exited = new Promise((resolve) => daemon.once('exit', () => resolve()));
    await waitListening(this.port, () => (daemon.exitCode === null ? undefined : `exim4 -bdf exited (${daemon.exitCode}): ${this.output}\n${this.logLines(join(this.dir, 'log', 'paniclog')).join('\n')}`));
  }

  logLines(file = this.mainlog): string[] {
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.length > 0)
      : [];
  }

  /** Messages in the spool (their -H files). */
  queued(): number {
    try {
      return readdirSync(join(this.dir, 'spool', 'input')).filter((file) => file.endsWith('-H')).length;
    } catch {
      return 0;
    }
  }

  async send(scenario: string, options: Parameters<Receiver['send']>[1] = {}): Promise<ReceiverRun> {
    // +smtp_connection: Exim says how each session ended ("closed by QUIT", "lost", "TLS error ...").
    return sendAndWatch(this, scenario, options, (lines) => lines.filter((line) => / SMTP connection from .* (closed|lost)| SMTP protocol synchronization error /.test(line)).length);
  }

  async stop(): Promise<void> {
    const daemon = this.daemon;
    if (daemon?.pid && daemon.exitCode === null && daemon.signalCode === null) {
      const signal = (name: NodeJS.Signals) => {
        try {
          process.kill(-daemon.pid!, name);
        } catch {
          // already gone
        }
      };
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
