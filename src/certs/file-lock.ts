// A lock between processes that share a certificate folder (parallel test workers, two
// servers started at once): a file made with O_EXCL. The holder touches it while it
// works, so a long job (an RSA-8192 key: a minute is possible) never looks abandoned,
// and a lock whose holder died is taken over once it has not been touched for a while.
import { closeSync, openSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const STALE_MS = 20_000;
const TOUCH_MS = 5_000;
const POLL_MS = 50;

/** Holds `file` while `work` runs; waits for another holder to finish first. */
export async function withFileLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  await acquire(file);
  const touch = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(file, now, now);
    } catch {
      // taken over or removed: the work goes on, its result is written atomically anyway
    }
  }, TOUCH_MS);
  touch.unref();
  try {
    return await work();
  } finally {
    clearInterval(touch);
    unlinkQuietly(file);
  }
}

async function acquire(file: string): Promise<void> {
  for (;;) {
    try {
      closeSync(openSync(file, 'wx'));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isStale(file)) unlinkQuietly(file);
      else await sleep(POLL_MS);
    }
  }
}

function isStale(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}

export function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
