// The README's commands, run exactly as printed, from a project that has broken-mta
// installed the way npm installs it.
import { chmodSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { run, type ProgramResult } from './clients.js';
import { tempDir } from './temp.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced code blocks of a section (from its heading to the next one of any level). */
export function codeBlocks(heading: string): string[] {
  const lines = README.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README has no heading "${heading}"`);
  const blocks: string[] = [];
  let block: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    if (block) {
      if (line === '```') {
        blocks.push(block.map((text) => `${text}\n`).join(''));
        block = undefined;
      } else {
        block.push(line);
      }
    } else if (line.startsWith('```')) {
      block = [];
    } else if (/^#{1,6} /.test(line)) {
      break;
    }
  }
  return blocks;
}

/**
 * A folder with node_modules/broken-mta linked to this checkout and its bin in
 * node_modules/.bin, as `npm install` leaves them (npm makes the bin executable too), so
 * `npx broken-mta` and `node_modules/.bin/broken-mta` run this build without the network.
 */
export function installedProject(): string {
  const project = tempDir('project');
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(ROOT, join(project, 'node_modules', 'broken-mta'));
  symlinkSync(join('..', 'broken-mta', 'dist', 'cli.js'), join(project, 'node_modules', '.bin', 'broken-mta'));
  chmodSync(join(ROOT, 'dist', 'cli.js'), 0o755);
  return project;
}

/** One shell command line (or a script), as a user types it, in that project. */
export function shell(script: string, cwd: string, options: { timeoutMs?: number; input?: string } = {}): Promise<ProgramResult> {
  return run('bash', ['-euo', 'pipefail', '-c', script], { cwd, ...options });
}
