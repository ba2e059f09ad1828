// Real sendmail (Debian's sendmail-bin 8.17) against a running scenario, the way a mail
// admin runs it by hand: a .cf compiled with m4 from a small .mc, one message delivered in
// the foreground with -v, and the log lines sendmail wrote to syslog. Those lines
// (`STARTTLS=client, ... verify=FAIL`, `ruleset=tls_server, ...`) exist only in syslog, so
// the suite runs its own rsyslogd, listening on /dev/log, writing mail.* to a file of its own.
//
// Nothing here touches /var/spool, /etc/mail or /etc/hosts: the queue, the access map and the
// .cf live in a temp folder per run; the host name is set in a UTS namespace of sendmail's own
// (without a dotted host name sendmail sleeps 60 s at every start).
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CapturedMessage, RunningScenario, SessionEvent } from '../../src/index.js';
import { run, type ProgramResult } from '../support/clients.js';
import { EIGHT_BIT_TEXT } from '../../src/claims/clients.js';

export const CF_M4 = '/usr/share/sendmail/cf/m4/cf.m4';
const DEV_LOG = '/dev/log';
/**
 * A fixed path, so that `.ci/run` can stop a syslog daemon left behind by a killed run: in
 * /run (the suite runs as root), since the test run's temp folder has a name of its own.
 */
export const SYSLOG_PID_FILE = '/run/broken-mta-sendmail-rsyslogd.pid';

/** The programs the suite needs, with the Debian package each comes from. */
const PROGRAMS: Array<[string, string]> = [
  ['sendmail', 'sendmail-bin'],
  ['makemap', 'sendmail-bin'],
  ['m4', 'm4'],
  ['rsyslogd', 'rsyslog'],
  ['logger', 'bsdutils'],
  ['unshare', 'util-linux'],
];

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const path = join(dir || '.', program);
    try {
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why the suite cannot run here, or undefined when everything it needs is installed. */
export function missingTools(): string | undefined {
  const missing = PROGRAMS.filter(([program]) => !which(program)).map(([program, pkg]) => `${program} (package ${pkg})`);
  if (!existsSync(CF_M4)) missing.push(`${CF_M4} (package sendmail-cf)`);
  if (process.getuid?.() !== 0) missing.push('root (for unshare -u and /dev/log)');
  if (missing.length === 0) return undefined;
  return (
    `the sendmail suite needs ${missing.join(', ')}: ` +
    'apt-get install sendmail-bin sendmail-cf m4 rsyslog (then stop any daemon the install started), ' +
    'or set BROKEN_MTA_NO_SENDMAIL=1 to skip this suite on purpose'
  );
}

export function programPath(program: string): string {
  const path = which(program);
  if (!path) throw new Error(missingTools() ?? `${program} not found`);
  return path;
}

/** Whether a live socket is bound to `path` (a stale socket file is not). */
function socketBound(path: string): boolean {
  const table = readFileSync('/proc/net/unix', 'utf8').split('\n');
  return table.some((line) => line.endsWith(` ${path}`));
}

/**
 * Makes /dev/log free for the private daemon: removes a stale socket, and refuses to touch
 * anything else (a socket in use, or a symlink such as systemd's to journald's dev-log).
 */
function freeDevLog(): void {
  let stat;
  try {
    stat = lstatSync(DEV_LOG);
  } catch {
    return; // free
  }
  const owned = stat.isSymbolicLink() || socketBound(DEV_LOG);
  if (owned || !stat.isSocket()) {
    throw new Error(
      `${DEV_LOG} belongs to a syslog daemon (or is not a socket: ${stat.isSymbolicLink() ? 'a symlink' : 'in use'}); the sendmail ` +
        'suite runs its own rsyslogd there, to read what sendmail logs, and will not take it over: stop that daemon first',
    );
  }
  unlinkSync(DEV_LOG); // a stale socket left by a daemon that died
}

/** A private rsyslogd on /dev/log: mail.* into a file, read back run by run. */
export class PrivateSyslog {
  private constructor(
    readonly dir: string,
    readonly logFile: string,
    private readonly child: ReturnType<typeof spawn>,
    private readonly exited: Promise<void>,
  ) {}

  static async start(): Promise<PrivateSyslog> {
    freeDevLog();
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-syslog-'));
    const logFile = join(dir, 'mail.log');
    const config = join(dir, 'rsyslog.conf');
    writeFileSync(
      config,
      [
        `global(workDirectory="${dir}")`,
        `module(load="imuxsock" SysSock.Use="on" SysSock.Name="${DEV_LOG}" SysSock.RateLimit.Interval="0")`,
        `mail.* action(type="omfile" file="${logFile}" template="RSYSLOG_FileFormat")`,
        '',
      ].join('\n'),
    );
    writeFileSync(logFile, '');
    const child = spawn(programPath('rsyslogd'), ['-n', '-f', config, '-i', SYSLOG_PID_FILE], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const syslog = new PrivateSyslog(dir, logFile, child, exited);
    const deadline = Date.now() + 5000;
    while (!socketBound(DEV_LOG)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await syslog.stop();
        throw new Error(`rsyslogd did not come up on ${DEV_LOG}: ${stderr.trim() || 'no message'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The first mark proves that a line sent to /dev/log lands in the file.
    await syslog.linesSince(syslog.offset());
    return syslog;
  }

  /** Where the file ends now: what a run logs comes after it. */
  offset(): number {
    return statSync(this.logFile).size;
  }

  /**
   * The lines logged since `offset`. A marker goes through /dev/log after them; once it is
   * in the file, everything sent before it is too (imuxsock reads its socket in order).
   */
  async linesSince(offset: number): Promise<string[]> {
    const marker = `broken-mta-mark-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const sent = await run(programPath('logger'), ['-u', DEV_LOG, '-p', 'mail.info', '-t', 'broken-mta', marker]);
    if (sent.code !== 0) throw new Error(`logger failed: ${sent.output}`);
    const deadline = Date.now() + 5000;
    for (;;) {
      const text = readFileSync(this.logFile).subarray(offset).toString('utf8');
      const lines = text.split('\n').filter((line) => line.length > 0);
      const at = lines.findIndex((line) => line.includes(marker));
      if (at >= 0) return lines.slice(0, at).filter((line) => !line.includes('broken-mta-mark-'));
      if (Date.now() > deadline) throw new Error(`the syslog marker never reached ${this.logFile}; it holds:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
    try {
      if (lstatSync(DEV_LOG).isSocket() && !socketBound(DEV_LOG)) unlinkSync(DEV_LOG);
    } catch {
      // rsyslogd removed it
    }
    rmSync(SYSLOG_PID_FILE, { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The .mc an admin would write for "send everything to this one host, over STARTTLS". */
export function sendmailMc({ port, caFile, queueDir, accessMap }: { port: number; caFile: string; queueDir: string; accessMap: string }): string {
  return [
    'divert(-1)',
    '# broken-mta: send every message to the scenario on 127.0.0.1, as a smart host.',
    'divert(0)dnl',
    "VERSIONID(`broken-mta sendmail recipe')dnl",
    "OSTYPE(`linux')dnl",
    // The test CA, as the scenario exposes it: verify=OK for the `valid` certificate.
    `define(\`confCACERT_PATH', \`${dirname(caFile)}')dnl`,
    `define(\`confCACERT', \`${caFile}')dnl`,
    "define(`SMART_HOST', `esmtp:[127.0.0.1]')dnl",
    // The scenario listens on a port of its own, not 25.
    `define(\`ESMTP_MAILER_ARGS', \`TCP $h ${port}')dnl`,
    "define(`confLOG_LEVEL', `20')dnl",
    `define(\`QUEUE_DIR', \`${queueDir}')dnl`,
    "define(`confDONT_PROBE_INTERFACES', `true')dnl",
    // Without it sendmail will not open a map (or trust the CA file) below /tmp, which is
    // world-writable: the access map would be silently ignored (the -o flag).
    "define(`confDONT_BLAME_SENDMAIL', `TrustStickyBit')dnl",
    `FEATURE(\`access_db', \`hash -o -T<TMPF> ${accessMap}')dnl`,
    "MAILER(`smtp')dnl",
    '',
  ].join('\n');
}

export interface SendmailRun {
  /** sendmail's exit code. */
  code: number | null;
  /** The -v output: the SMTP dialogue as sendmail saw it, and its verdict per recipient. */
  transcript: string;
  /** What sendmail logged to syslog during this run (mail.*), one line each. */
  syslog: string[];
  /** The scenario's events and messages once sendmail has finished. */
  events: SessionEvent[];
  messages: RunningScenario['messages'];
  /** How many SMTP sessions the server has served so far (this run and earlier ones). */
  sessionsSeen: number;
  /** The run's folder: .mc, .cf, access map and queue. */
  dir: string;
  /** Files left in the queue (qf/df of a deferred message). */
  queue: string[];
}

/** What sendmail is pointed at: a running scenario, or a listener of the control API. */
export interface SendmailTarget {
  readonly port: number;
  readonly caFile: string;
  readonly scenario: { readonly name: string };
  readonly events: Iterable<SessionEvent>;
  readonly messages: Iterable<CapturedMessage>;
  readonly openSessions: number;
  readonly sessions: number;
}

export const FROM = 'sender@client.example.test';
export const TO = 'rcpt@mx.broken-mta.test';

/** A sendmail set up against one running scenario; `send` and `runQueue` use the same queue. */
export class SendmailClient {
  readonly dir: string;
  readonly cf: string;
  readonly queueDir: string;

  private constructor(
    private readonly syslog: PrivateSyslog,
    private readonly mta: SendmailTarget,
    dir: string,
  ) {
    this.dir = dir;
    this.cf = join(dir, 'sendmail.cf');
    this.queueDir = join(dir, 'queue');
  }

  /** Builds the .cf (m4) and the access map (makemap hash) for this scenario. */
  static async create(syslog: PrivateSyslog, mta: SendmailTarget, { access = '' }: { access?: string } = {}): Promise<SendmailClient> {
    const dir = mkdtempSync(join(tmpdir(), `broken-mta-sendmail-${mta.scenario.name}-`));
    const client = new SendmailClient(syslog, mta, dir);
    mkdirSync(client.queueDir, { mode: 0o700 });
    const accessMap = join(dir, 'access');
    await client.setAccess(access);
    const mc = join(dir, 'sendmail.mc');
    writeFileSync(mc, sendmailMc({ port: mta.port, caFile: mta.caFile, queueDir: client.queueDir, accessMap }));
    const compiled = await run(programPath('m4'), [CF_M4, mc]);
    if (compiled.code !== 0 || !compiled.stdout.includes('Mesmtp')) throw new Error(`m4 ${mc} failed: ${compiled.output}`);
    writeFileSync(client.cf, compiled.stdout);
    return client;
  }

  /** Rewrites the access map (`makemap hash`), as an admin does to apply a fix. */
  async setAccess(access: string): Promise<void> {
    const accessMap = join(this.dir, 'access');
    writeFileSync(accessMap, access);
    const made = await run(programPath('makemap'), ['hash', accessMap], { input: access });
    if (made.code !== 0) throw new Error(`makemap hash ${accessMap} failed: ${made.output}`);
  }

  /** `sendmail -v -Am -C cf -ODeliveryMode=i [options] -f FROM TO...`, one message, in the foreground. */
  send({ subject = `broken-mta ${this.mta.scenario.name}`, options = [], to = [TO], bodyBytes, eightBit }: { subject?: string; options?: string[]; to?: string[]; bodyBytes?: number; eightBit?: boolean } = {}): Promise<SendmailRun> {
    const body = bodyBytes ? 'x'.repeat(bodyBytes) : eightBit ? EIGHT_BIT_TEXT : `Sent by real sendmail to the ${this.mta.scenario.name} scenario.`;
    const mime = eightBit ? ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'] : [];
    const message = [`From: ${FROM}`, `To: ${to.join(', ')}`, `Subject: ${subject}`, ...mime, '', body, ''].join('\n');
    return this.sendmail(['-v', '-Am', '-C', this.cf, '-ODeliveryMode=i', ...options, '-f', FROM, ...to], message);
  }

  /** `sendmail -v -Am -C cf [options] -q`: one queue run, as the daemon's next retry would do. */
  runQueue({ options = [] }: { options?: string[] } = {}): Promise<SendmailRun> {
    return this.sendmail(['-v', '-Am', '-C', this.cf, ...options, '-q'], '');
  }

  private async sendmail(args: string[], input: string): Promise<SendmailRun> {
    const offset = this.syslog.offset();
    const quoted = args.map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
    const result: ProgramResult = await run(
      programPath('unshare'),
      ['-u', 'sh', '-c', `hostname client.example.test && exec ${programPath('sendmail')} ${quoted}`],
      { input, timeoutMs: 60_000 },
    );
    if (result.signal) throw new Error(`sendmail was killed (${result.signal}) after 60 s; it printed:\n${result.output}`);
    if (/^(unshare|hostname):/m.test(result.output)) throw new Error(`sendmail could not be given its host name: ${result.output}`);
    const syslog = await this.syslog.linesSince(offset);
    // sendmail has closed its connection; wait until the server has seen every session end.
    const deadline = Date.now() + 5000;
    while (this.mta.openSessions > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return {
      code: result.code,
      transcript: result.output,
      syslog,
      events: [...this.mta.events],
      messages: [...this.mta.messages],
      sessionsSeen: this.mta.sessions,
      dir: this.dir,
      queue: readdirSafe(this.queueDir),
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The syslog lines that contain `text`, for assertions that print the whole log on failure. */
export function grepLines(lines: string[], pattern: RegExp): string[] {
  return lines.filter((line) => pattern.test(line));
}
