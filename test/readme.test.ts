// What the README promises, held to the code: the event types it names, and no leftovers
// of a merge in any tracked file.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SESSION_EVENT_TYPES } from '../src/events.js';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('the README', () => {
  it('names exactly the event types of the SessionEvent union, each once, in its order', () => {
    const paragraph = README.split('\n- `--json`')[1]!.split('\n- ')[0]!;
    const named = [...paragraph.matchAll(/`([a-z][a-z-]*)`/g)].map((match) => match[1]);
    expect(named).toEqual(SESSION_EVENT_TYPES);
  });
});

describe('the repository', () => {
  it('no tracked file holds a merge-conflict marker line', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(50);
    const marker = /^(<{7}|>{7})( |$)|^={7}$/;
    const found = files.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, index) => (marker.test(line) ? [`${file}:${index + 1}: ${line}`] : [])),
    );
    expect(found).toEqual([]);
  });
});
