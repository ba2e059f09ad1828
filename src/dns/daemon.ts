// Knot and unbound as children of this process: found on PATH (or /usr/sbin, where Debian
// puts them), run in the foreground, stopped with SIGTERM (SIGKILL after 5 s), and killed
// when this process exits without closing them, so that no daemon outlives its zone.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The Debian package each program comes from, for the error that says it is missing. */
const PACKAGES: Record<string, string> = { knotd: 'knot', knotc: 'knot', keymgr: 'knot', unbound: 'unbound' };

export function findProgram(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin'];
  const found = dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
  if (!found) throw new Error(`${name} is not installed (Debian: apt-get install ${PACKAGES[name] ?? name})`);
  return found;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export interface Daemon {
  readonly name: string;
  /** What it printed, for the error that says why it stopped. */
  output(): string;
  /** Whether it has exited. */
  exited(): boolean;
  stop(): Promise<void>;
}

export function startDaemon(program: string, args: string[]): Daemon {
  const child = spawn(findProgram(program), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  killAllOnExit();
  let output = '';
  const collect = (chunk: Buffer) => {
    // The first lines say why it stopped; a long-running daemon says little after them.
    if (output.length < 16_384) output += chunk.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.on('error', (error) => collect(Buffer.from(`${error.message}\n`)));
  const exit = new Promise<void>((resolve) =>
    child.once('close', () => {
      running.delete(child);
      resolve();
    }),
  );
  return {
    name: program,
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exit;
        clearTimeout(timer);
      }
      await exit;
    },
  };
}

/** A short command (knotc, keymgr): its standard output, or an error with what it printed. */
export function runProgram(program: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(findProgram(program), args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${program} ${args.join(' ')}: ${(stderr || stdout || error.message).trim()}`));
      else resolve(stdout);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `ready` every 25 ms until it holds, the daemon exits, or `timeoutMs` passes. */
export async function waitUntil(daemon: Daemon, what: string, ready: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (daemon.exited()) throw new Error(`${daemon.name} stopped before ${what}: ${daemon.output().trim().split('\n').slice(-3).join(' | ')}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${daemon.name}: timed out waiting for ${what}: ${daemon.output().trim().split('\n').slice(-3).join(' | ')}`);
    await sleep(25);
  }
}
