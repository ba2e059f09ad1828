// Runs one client program to its end: output kept (bounded), time bounded, and on a
// timeout the whole process group killed, so `sh -c` never leaves its child behind.
import { spawn } from 'node:child_process';

export interface ProgramRun {
  exitCode: number | null;
  timedOut: boolean;
  /** stdout and stderr together, in the order they came. */
  output: string;
}

const MAX_OUTPUT = 1_000_000;

/** Runs argv as it is (no shell), with empty input. */
export function runProgram(argv: string[], timeoutMs: number): Promise<ProgramRun> {
  return new Promise((resolve) => {
    const [program, ...args] = argv;
    const child = spawn(program!, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    const keep = (chunk: Buffer) => {
      // A chatty client must not grow memory without bound.
      if (output.length < MAX_OUTPUT) output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdin.on('error', () => undefined);
    child.stdin.end();
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: null, timedOut: false, output: `cannot run ${program}: ${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, timedOut, output });
    });
  });
}

/** Runs a command line with sh -c, exactly as a user would paste it. */
export function runShell(line: string, timeoutMs: number): Promise<ProgramRun> {
  return runProgram(['sh', '-c', line], timeoutMs);
}
