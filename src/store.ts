// --store DIR: every message received, as an .eml file, plus one JSON line of its envelope
// and TLS state in messages.jsonl. Files appear whole (written aside, then renamed), and
// close() waits for what is still being written, so a shutdown loses nothing.
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWritableDir } from './dirs.js';
import type { CapturedMessage } from './smtp/types.js';

export class MessageStore {
  readonly dir: string;
  private pending = new Set<Promise<void>>();
  private count = 0;

  /** Fails at once, with the folder named, when it cannot be written. */
  constructor(dir: string) {
    this.dir = dir;
    makeWritableDir(dir, '--store');
  }

  save(scenario: string, message: CapturedMessage, onError: (error: Error) => void): void {
    const number = ++this.count;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `${stamp}-${scenario}-s${message.session}-${number}.eml`;
    const file = join(this.dir, name);
    const line = JSON.stringify({
      file: name,
      scenario,
      session: message.session,
      from: message.from,
      to: message.to,
      size: message.raw.length,
      tls: message.tls ?? null,
    });
    const write = (async () => {
      const temporary = `${file}.tmp`;
      await writeFile(temporary, message.raw);
      await rename(temporary, file);
      await appendFile(join(this.dir, 'messages.jsonl'), line + '\n');
    })().catch(onError);
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write));
  }

  /** Resolves once every message handed to save() is on disk. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
