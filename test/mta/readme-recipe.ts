// A README code block of a receive.sh recipe, run as it is printed: its command lines by
// bash in the checkout (with this checkout's broken-mta), its table rows compared with what
// the script printed. The one change: /tmp/ in a command becomes a temp folder of the
// test's, so that the run leaves nothing in /tmp.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type ProgramResult } from '../support/clients.js';
import { letMtaUsersIn, REPO } from './support.js';

export interface ReadmeBlock {
  /** The command lines, as printed. */
  commands: string[];
  /** The table rows printed under them, as patterns (runs of spaces may differ). */
  rows: RegExp[];
}

/** The ```sh block of the README that holds a line starting with `first`. */
export function readmeBlock(first: string): ReadmeBlock {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!.trimEnd().split('\n'));
  const block = blocks.find((lines) => lines.some((line) => line.startsWith(first)));
  if (!block) throw new Error(`the README has no sh block with a line starting ${JSON.stringify(first)}`);
  const isRow = (line: string) => /^(scenario|sender-)\S* /.test(line) || line === '...';
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    commands: block.filter((line) => !isRow(line)),
    rows: block.filter((line) => line.startsWith('sender-')).map((line) => new RegExp(`^${line.split(/ {2,}/).map(escape).join(' +')}$`, 'm')),
  };
}

/** The block's commands, by bash in the checkout; what they printed. */
export async function runReadmeBlock(block: ReadmeBlock): Promise<ProgramResult> {
  letMtaUsersIn();
  const dir = mkdtempSync(join(tmpdir(), 'broken-mta-readme-'));
  try {
    const script = ['set -euo pipefail', ...block.commands.map((line) => line.replaceAll('/tmp/', `${dir}/`))].join('\n');
    return await run('bash', ['-c', script], { timeoutMs: 180_000, cwd: REPO, env: { ...process.env, BROKEN_MTA: `node ${join(REPO, 'dist', 'cli.js')}` } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
