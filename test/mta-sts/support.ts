// What the MTA-STS suite needs beside the domain (src/mta-sts/domain.ts): Debian's
// postfix-mta-sts-resolver (mta-sts-daemon) as Postfix's socketmap, run in the MTA's mount
// namespace (test/mta/run.sh) so that it asks the domain's resolver and trusts the test CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_IN_NAMESPACE, sleep, workDir } from '../mta/support.js';
import { rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';

/**
 * The daemon listens on a free port of 127.0.0.1 rather than its package's 8461, where the
 * package's own daemon may run (Debian's postinst starts it): the claims' map line
 * (MTA_STS_POLICY_MAP) is pointed at it.
 */
const DAEMON_HOST = '127.0.0.1';

export function missingResolver(): string | undefined {
  return existsSync('/usr/bin/mta-sts-daemon') ? undefined : 'mta-sts-daemon is missing: apt-get install postfix-mta-sts-resolver';
}

export class StsDaemon {
  private output = '';
  private exited: Promise<void>;

  private constructor(
    private readonly dir: string,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** mta-sts-daemon on a free port of 127.0.0.1, its cache in memory, every request looked up again (cache_grace 0). */
  static async start(resolvConf: string, caFile: string): Promise<StsDaemon> {
    const dir = workDir('mta-sts-daemon');
    const config = join(dir, 'mta-sts-daemon.yml');
    const port = await freePort();
    writeFileSync(config, [`host: ${DAEMON_HOST}`, `port: ${port}`, 'cache_grace: 0', 'shutdown_timeout: 1', 'cache:', '  type: internal', ''].join('\n'));
    // SSL_CERT_FILE: Python's ssl (and so aiohttp) trusts the test CA, as an admin adds a CA to the system store.
    const env = { ...process.env, BROKEN_MTA_RESOLV_CONF: resolvConf, SSL_CERT_FILE: caFile };
    const child = spawn(RUN_IN_NAMESPACE, ['postfix', 'mta-sts-daemon', '-c', config, '-l', join(dir, 'daemon.log'), '-v', 'info'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new StsDaemon(dir, child, port);
    await daemon.waitForPort();
    return daemon;
  }

  private async waitForPort(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (await canConnect(this.port)) return;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        await this.stop();
        throw new Error(`mta-sts-daemon did not start: ${this.output}${this.log().join('\n')}`);
      }
      await sleep(50);
    }
  }

  /** The daemon's log lines so far. */
  log(): string[] {
    const file = join(this.dir, 'daemon.log');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** Postfix's smtp_tls_policy_maps line for this daemon. */
  get policyMap(): string {
    return `smtp_tls_policy_maps = socketmap:inet:${DAEMON_HOST}:${this.port}:postfix`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: DAEMON_HOST, port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: DAEMON_HOST, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
