// Real Postfix (Debian's postfix 3.7, unpacked by test/mta/fetch.sh) against running
// scenarios: Debian's stock main.cf, each scenario reached by a transport_maps entry
// (`weak-dh-PORT.broken-mta.test smtp:[127.0.0.1]:PORT`), the test CA as smtp_tls_CAfile,
// messages submitted with Postfix's sendmail and each delivered once by the smtp client.
//
// Postfix needs its master daemon for that: each instance runs one in the foreground
// (`postfix start-fg`), with its own configuration, queue and log file (maillog_file,
// through postlogd: no syslog), and stops it before the test ends. A start costs one to
// three seconds (`postfix check` runs first), so one instance may serve many scenarios at
// once: each has its own domain, next hop and server, and its lines are told apart by
// queue id and smtp process.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningScenario } from '../../src/index.js';
import { FROM, message, mtaCommand, RUN_IN_NAMESPACE, sessionsClosed, sleep, STOCK_CONFIG, unpacked, workDir, type Attempt, type Outcome, userIds } from '../mta/support.js';
import { run } from '../support/clients.js';

/** The domain that leads to a scenario's server: its name and port under broken-mta.test. */
export function domainOf(mta: RunningScenario): string {
  return `${mta.scenario.name}-${mta.port}.broken-mta.test`;
}

/** The scenario's next hop, as transport_maps and smtp_tls_policy_maps name it. */
export function nextHop(mta: RunningScenario): string {
  return `[127.0.0.1]:${mta.port}`;
}

/**
 * What a test run changes in the admin's main.cf: a private queue, data directory and log
 * file; the scenarios' domains routed to them; the test CA in place of the system's, so
 * that "Trusted"/"Verified" speak of the scenario's certificate; the TLS lines logged.
 */
export function testSettings(dir: string, conf: string, caFile: string): string[] {
  return [
    `queue_directory = ${join(dir, 'queue')}`,
    `data_directory = ${join(dir, 'data')}`,
    `maillog_file = ${join(dir, 'maillog')}`,
    `maillog_file_prefixes = ${dir}`,
    `transport_maps = hash:${join(conf, 'transport')}`,
    `smtp_tls_CAfile = ${caFile}`,
    'smtp_tls_CApath =',
    'smtp_tls_loglevel = 1',
    // No listener: this Postfix only sends.
    'inet_interfaces = loopback-only',
    // Nothing of the machine's: its aliases are not ours to read, let alone rebuild.
    'alias_maps =',
    'alias_database =',
  ];
}

/** What a hang costs Postfix by default (5 minutes and more), lowered to 5 s. */
export const SHORT_TIMEOUTS = ['smtp_starttls_timeout = 5s', 'smtp_data_done_timeout = 5s'];

export interface PostfixAttempt extends Attempt {
  /** The `status=` line of this attempt. */
  status: string;
  /** Files in the deferred queue after the attempt (every scenario's). */
  deferred: string[];
}

export interface PostfixOptions {
  /** An admin's settings after the test's, `name = value` each (postconf -e). */
  settings?: string[];
  /** An smtp_tls_policy_maps entry for each scenario's next hop: `none`, `verify match=...`; or one per scenario. */
  policy?: string | ((mta: RunningScenario) => string | undefined);
  /** The admin's main.cf (master.cf beside it); Debian's stock one by default. */
  mainCf?: string;
  /** Environment for the master daemon's namespace (test/mta/run.sh), such as BROKEN_MTA_RESOLV_CONF. */
  env?: Record<string, string>;
}

export interface Letter {
  mta: RunningScenario;
  /** The recipients' local parts (the domain is the scenario's); rcpt by default. */
  local?: string | string[];
  /** A whole recipient address instead, of a domain Postfix finds through DNS (an MTA-STS domain's). */
  address?: string;
  body?: string | undefined;
}

export class PostfixInstance {
  readonly conf: string;
  readonly maillog: string;
  private master: ChildProcess | undefined;
  private masterExited: Promise<void> | undefined;
  private masterOutput = '';

  private constructor(
    readonly dir: string,
    private readonly targets: RunningScenario[],
    private readonly mainCf: string,
    private readonly env: Record<string, string>,
  ) {
    this.conf = join(dir, 'conf');
    this.maillog = join(dir, 'maillog');
  }

  /** An instance for these scenarios, configured and started. */
  static async create(targets: RunningScenario | RunningScenario[], { settings = [], policy, mainCf = STOCK_CONFIG.postfix, env = {} }: PostfixOptions = {}): Promise<PostfixInstance> {
    const list = [targets].flat();
    const instance = new PostfixInstance(workDir(`postfix-${list.length === 1 ? list[0]!.scenario.name : 'chart'}`), list, mainCf, env);
    try {
      await instance.configure(settings, policy);
      await instance.start();
      return instance;
    } catch (error) {
      await instance.remove();
      throw error;
    }
  }

  private async configure(settings: string[], policy: PostfixOptions['policy']): Promise<void> {
    mkdirSync(this.conf);
    // A copy of the queue test/mta/fetch.sh made (cp -a keeps its owners and modes).
    const copied = await run('cp', ['-a', unpacked('postfix', '..', 'queue'), join(this.dir, 'queue')]);
    if (copied.code !== 0) throw new Error(`copying the queue skeleton failed: ${copied.output}`);
    mkdirSync(join(this.dir, 'data'));
    const postfix = userIds('postfix');
    chownSync(join(this.dir, 'data'), postfix.uid, postfix.gid);
    copyFileSync(this.mainCf, join(this.conf, 'main.cf'));
    copyFileSync(join(this.mainCf, '..', 'master.cf'), join(this.conf, 'master.cf'));
    await this.map('transport', (mta) => `${domainOf(mta)} smtp:${nextHop(mta)}`);
    const all = [...testSettings(this.dir, this.conf, this.targets[0]!.caFile), ...settings];
    if (policy !== undefined) all.push(await this.policyMap(policy));
    await this.postconf(all);
    // No smtpd on port 25; and no chroot, which would need the CA file and /etc/services
    // copied into the queue, as Debian's init script does.
    await this.postfix(['postconf', '-c', this.conf, '-M#', 'smtp/inet']);
    await this.postfix(['postconf', '-c', this.conf, '-F', '*/*/chroot = n']);
  }

  /** A hash: map in the configuration folder, one line per scenario that has one (postmap). */
  private async map(name: string, line: (mta: RunningScenario) => string | undefined): Promise<string> {
    const file = join(this.conf, name);
    writeFileSync(file, this.targets.flatMap((mta) => [line(mta)].filter(Boolean).map((text) => `${text}\n`)).join(''));
    await this.postfix(['postmap', `hash:${file}`]);
    return `hash:${file}`;
  }

  private async policyMap(policy: NonNullable<PostfixOptions['policy']>): Promise<string> {
    const of = typeof policy === 'string' ? () => policy : policy;
    return `smtp_tls_policy_maps = ${await this.map('tls_policy', (mta) => (of(mta) ? `${nextHop(mta)} ${of(mta)}` : undefined))}`;
  }

  /** An admin's per-destination fix on a running Postfix: the policy map, then `postfix reload`. */
  async setPolicy(policy: string): Promise<void> {
    await this.reconfigure([await this.policyMap(policy)]);
  }

  /** An admin's fix: `postconf -e` and `postfix reload`. */
  async reconfigure(settings: string[]): Promise<void> {
    const from = this.logLines().length;
    await this.postconf(settings);
    await this.postfix(['postfix', '-c', this.conf, 'reload']);
    await this.waitForLog(/postfix\/master\[\d+\]: reload -- /, from, 10_000, 'the reload');
  }

  private async postconf(settings: string[]): Promise<void> {
    if (settings.length) await this.postfix(['postconf', '-c', this.conf, '-e', ...settings.map((s) => s.replace(/\s*=\s*/, '='))]);
  }

  private async postfix(args: string[], input?: string): Promise<string> {
    const result = await mtaCommand('postfix', args, { input });
    if (result.code !== 0) throw new Error(`${args.join(' ')} failed (exit ${result.code}): ${result.output}\n${this.logText()}`);
    return result.output;
  }

  private logText(): string {
    return existsSync(this.maillog) ? readFileSync(this.maillog, 'utf8') : '';
  }

  private logLines(): string[] {
    return this.logText()
      .split('\n')
      .filter((line) => line.length > 0);
  }

  /** `postfix start-fg`: the master daemon in the foreground, as this process's child. */
  private async start(): Promise<void> {
    const master = spawn(RUN_IN_NAMESPACE, ['postfix', 'postfix', '-c', this.conf, 'start-fg'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    this.master = master;
    master.stdout!.on('data', (chunk: Buffer) => (this.masterOutput += chunk));
    master.stderr!.on('data', (chunk: Buffer) => (this.masterOutput += chunk));
    this.masterExited = new Promise((resolve) => master.once('exit', () => resolve()));
    await this.waitForLog(/postfix\/master\[\d+\]: daemon started/, 0, 20_000, 'the master daemon to start');
  }

  private async waitForLog(pattern: RegExp, fromLine: number, timeoutMs: number, what: string): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.logLines().slice(fromLine);
      if (lines.some((line) => pattern.test(line))) return lines;
      if (this.master && this.master.exitCode !== null) throw new Error(`postfix start-fg exited (${this.master.exitCode}): ${this.masterOutput}\n${this.logText()}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${pattern}); the log:\n${this.logText()}`);
      await sleep(25);
    }
  }

  /** `sendmail -f FROM local@SCENARIO.broken-mta.test` (Postfix's), and the one delivery attempt that follows. */
  async send(letter: Letter | RunningScenario = this.targets[0]!): Promise<PostfixAttempt> {
    return (await this.sendAll(['mta' in letter ? letter : { mta: letter }]))[0]!;
  }

  /** Every letter submitted at once; each one's delivery attempt, in the same order. */
  async sendAll(letters: Letter[], timeoutMs = 60_000): Promise<PostfixAttempt[]> {
    const from = this.logLines().length;
    const recipients = letters.map(({ mta, local = 'rcpt', address }) => (address ? [address] : [local].flat().map((part) => `${part}@${domainOf(mta)}`)));
    for (const [index, { mta, body }] of letters.entries()) {
      const to = recipients[index]!;
      await this.postfix(['sendmail', '-C', this.conf, '-f', FROM, ...to], message(mta.scenario.name, 'Postfix', { to: to.join(', '), body }));
    }
    return Promise.all(letters.map(({ mta }, index) => this.attempt(mta, recipients[index]![0]!, from, timeoutMs)));
  }

  /**
   * One message to any address, routed as Postfix routes mail (MX records, for the DANE
   * suite) rather than by the transport map, and its delivery attempt; `mta` is the server
   * meant to receive it.
   */
  async sendToAddress(to: string, mta: RunningScenario, timeoutMs = 60_000): Promise<PostfixAttempt> {
    const from = this.logLines().length;
    await this.postfix(['sendmail', '-C', this.conf, '-f', FROM, to], message(mta.scenario.name, 'Postfix', { to }));
    return this.attempt(mta, to, from, timeoutMs);
  }

  /** `postqueue -f`: a deferred message is tried again at once, as after a backoff. */
  async flush(mta: RunningScenario = this.targets[0]!, local = 'rcpt'): Promise<PostfixAttempt> {
    const from = this.logLines().length;
    await this.postfix(['postqueue', '-c', this.conf, '-f']);
    return this.attempt(mta, `${local}@${domainOf(mta)}`, from, 30_000);
  }

  private async attempt(mta: RunningScenario, to: string, fromLine: number, timeoutMs: number): Promise<PostfixAttempt> {
    const statusOf = new RegExp(`: to=<${to.replace(/\./g, '\\.')}>, .*status=`);
    await this.waitForLog(statusOf, fromLine, timeoutMs, `the delivery attempt to ${to}`);
    await sessionsClosed(mta);
    // What qmgr logs right after (removed) belongs to the attempt too.
    await sleep(50);
    const lines = this.logLines().slice(fromLine);
    const log = linesOfAttempt(lines, lines.findIndex((line) => statusOf.test(line)));
    const status = log.find((line) => statusOf.test(line))!;
    return {
      outcome: outcomeOf(status, log, mta),
      status,
      log,
      events: [...mta.events],
      messages: [...mta.messages],
      sessionsSeen: mta.sessions,
      deferred: listQueue(join(this.dir, 'queue', 'deferred')),
    };
  }

  async remove(): Promise<void> {
    await stopPostfix(this.dir, this.conf, this.master, this.masterExited);
  }
}

/**
 * `postfix stop` for a master started with `start-fg` in `dir` (its queue below it);
 * SIGKILL should it outlive 10 s. Then the folder goes. For senders and receivers alike.
 */
export async function stopPostfix(dir: string, conf: string, master: ChildProcess | undefined, exited: Promise<void> | undefined): Promise<void> {
  if (master && master.exitCode === null && master.signalCode === null) {
    await mtaCommand('postfix', ['postfix', '-c', conf, 'stop']).catch(() => undefined);
    const timer = setTimeout(() => {
      try {
        const pid = Number(readFileSync(join(dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
        if (pid > 1) process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
      master.kill('SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * One message's lines among many: those with its queue id, and those its smtp process
 * wrote since that process's previous status line (an smtp process delivers one message
 * at a time; "SSL_connect error" and "TLS connection established" carry no queue id).
 */
function linesOfAttempt(lines: string[], statusAt: number): string[] {
  const status = lines[statusAt]!;
  const queueId = / ([0-9A-F]{6,}): to=</.exec(status)![1]!;
  const smtp = /postfix\/smtp\[\d+\]: /.exec(status)![0];
  let start = statusAt;
  for (let index = statusAt - 1; index >= 0 && !(lines[index]!.includes(smtp) && / status=/.test(lines[index]!)); index--) start = index;
  return lines.filter((line, index) => line.includes(` ${queueId}: `) || (index >= start && index < statusAt && line.includes(smtp)));
}

function outcomeOf(status: string, log: string[], mta: RunningScenario): Outcome {
  if (/status=deferred/.test(status)) return 'deferred';
  if (/status=bounced/.test(status)) return 'bounced';
  // Postfix says "sent" either way; whether TLS carried it is the server's to say, and the
  // smtp client logs "... TLS connection established" when it did.
  const tls = log.some((line) => /TLS connection established to/.test(line));
  const secure = mta.messages.at(-1)?.secure ?? false;
  if (tls !== secure) throw new Error(`Postfix's log (TLS: ${tls}) and the server (secure: ${secure}) disagree:\n${log.join('\n')}`);
  return secure ? 'delivered over TLS' : 'delivered in plaintext';
}

function listQueue(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * The one line of an attempt that says most about it, as Postfix wrote it but for what
 * changes from run to run (time, pid, queue id, port, OpenSSL's source file): OpenSSL's
 * last word on a failed handshake (or the certificate verification that failed, or the
 * SSL_connect error), else the reason of a deferral or bounce, else the TLS connection
 * established, else the status. examples/postfix/run.sh picks the same line.
 */
export function postfixKeyLine(attempt: PostfixAttempt): string {
  const lines = attempt.log
    .filter((line) => /postfix\/smtp\[\d+\]: /.test(line))
    .map((line) => line.replace(/^.*?postfix\/smtp\[\d+\]: (?:[0-9A-F]{6,}: )?/, ''));
  const problem =
    lines.filter((line) => line.startsWith('warning: TLS library problem: ')).at(-1) ??
    lines.find((line) => line.startsWith('server certificate verification failed for ')) ??
    lines.find((line) => line.startsWith('SSL_connect error to '));
  const status = attempt.status.replace(/^.*?(status=)/, '$1');
  const established = lines.find((line) => / TLS connection established to /.test(line))?.replace(/( with cipher \S+).*/, '$1');
  const key = problem ?? (attempt.outcome === 'deferred' || attempt.outcome === 'bounced' ? status : (established ?? status));
  return key
    .replace(/:\.\.\/[^:]+:\d+:/, ':')
    .replace(/:$/, '')
    .replace(/\]:\d+/g, ']:PORT')
    // Postfix's own headers (its queue id among them) make the size vary by a byte or two.
    .replace(/message size \d+/, 'message size N');
}
