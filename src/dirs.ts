// Folders the user names (--certs, --store, --export) are made here, and a folder that
// cannot be written fails at once, in one line that says what and where.
import { accessSync, constants, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that always ends: Node's recursive mkdirSync spins forever where mkdir
 * answers ENOENT under a parent that exists (`/proc/x`). On failure the folders it made
 * are removed again, so nothing is left half-made. `what` names the folder in the error; `hint` says how to choose another.
 */
export function makeWritableDir(dir: string, what: string, hint = ''): void {
  const target = resolve(dir);
  const missing: string[] = [];
  for (let at = target; !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  const made: string[] = [];
  try {
    for (const folder of missing) {
      mkdirSync(folder);
      made.push(folder);
    }
    if (!statSync(target).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(target, constants.W_OK);
  } catch (error) {
    for (const folder of made.reverse()) {
      try {
        rmdirSync(folder);
      } catch {
        // not ours to force
      }
    }
    throw new Error(`${what} ${dir}: cannot write there (${describe(error)})${hint}`);
  }
}

/** "ENOTDIR: not a directory", without the path Node repeats. */
export function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const reason = /^[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
  return code && !reason.startsWith(code) ? `${code}: ${reason}` : reason;
}
