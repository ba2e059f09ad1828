// Temp folders for one test, removed when it ends however it ends: the run fails when
// anything is left in its temp folder (see global-setup.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `broken-mta-${label}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
