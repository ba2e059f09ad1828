// BDAT (RFC 3030): the chunk reader without sockets, then the edges of the protocol on a
// server (what real clients do is on the chunking-bdat pages, as claims run by openssl).
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunkReader } from '../../src/smtp/chunk-reader.js';
import { parseBdat } from '../../src/smtp/chunking.js';
import { startScenario, type RunningScenario, type ScenarioInput } from '../../src/index.js';
import { rawConnect, readUntil } from '../support/clients.js';

describe('the chunk reader', () => {
  it('takes exactly the bytes announced, however they are split, and gives what follows back once the chunk is answered', () => {
    const commands: string[] = [];
    const modes: boolean[] = [];
    const reader = new ChunkReader((chunk, _encoding, next) => (commands.push(chunk.toString()), next()), (reading) => modes.push(reading));
    const parts: string[] = [];
    let resume: (() => void) | undefined;
    reader.read(7, { bytes: (part) => parts.push(part.toString()), end: (go) => (resume = go) });
    let written = 0;
    reader.write(Buffer.from('hel'), 'buffer', () => written++);
    reader.write(Buffer.from('lo\r\nQUIT\r\n'), 'buffer', () => written++);
    expect(parts).toEqual(['hel', 'lo\r\n']);
    expect(commands).toEqual([]);
    expect(written).toBe(1);
    resume!();
    expect(commands).toEqual(['QUIT\r\n']);
    expect(written).toBe(2);
    expect(modes).toEqual([true, false]);
  });

  it('BDAT 0 ends at once, with nothing read', () => {
    const reader = new ChunkReader((_chunk, _encoding, next) => next(), () => undefined);
    let ended = false;
    reader.read(0, { bytes: () => undefined, end: (go) => ((ended = true), go()) });
    reader.write(Buffer.alloc(0), 'buffer', () => undefined);
    expect(ended).toBe(true);
  });

  it('parses BDAT n [LAST], and refuses anything else', () => {
    expect(parseBdat('BDAT 100')).toEqual({ bytes: 100, last: false });
    expect(parseBdat('bdat 0 last')).toEqual({ bytes: 0, last: true });
    for (const bad of ['BDAT', 'BDAT x', 'BDAT -1', 'BDAT 10 FIRST', 'BDAT 1234567890123456']) expect(parseBdat(bad)).toHaveProperty('error');
  });
});

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

const chunking: ScenarioInput = { name: 'chunking', smtp: { chunking: true, size: 100 } };

async function session(scenario: ScenarioInput): Promise<{ socket: Socket; say: (text: string, reply: RegExp) => Promise<string> }> {
  mta = await startScenario(scenario);
  const socket = await rawConnect(mta.port);
  await readUntil(socket, /^220 /m);
  const say = (text: string, reply: RegExp) => {
    const answer = readUntil(socket, reply);
    socket.write(text);
    return answer;
  };
  await say('EHLO client.example.test\r\n', /^250 /m);
  return { socket, say };
}

describe('BDAT on a server', () => {
  it('offers CHUNKING, puts the message together from chunks split anyhow, and goes on with the commands behind it', async () => {
    const { socket, say } = await session(chunking);
    await say('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n', /^250 .*\r\n250 /m);
    await say('BDAT 12\r\nSubject: x\r\n', /^250 2\.0\.0 12 octets received/m);
    socket.write('BDAT 7 LAST\r\nhel');
    expect(await say('lo\r\nNOOP\r\n', /^250 OK/m)).toMatch(/^250 Message accepted\r\n250 OK/m);
    expect(mta!.messages.map((message) => message.raw.toString())).toEqual(['Subject: x\r\nhello\r\n']);
    socket.destroy();
  });

  it('reads and refuses a chunk outside a transaction (503), a bad BDAT (501), a message over the limit (552); RSET starts afresh', async () => {
    const { socket, say } = await session(chunking);
    expect(await say('BDAT 6 LAST\r\nNOOP\r\n', /^503 /m)).toContain('503 5.5.1 Error: need MAIL and RCPT first');
    expect(await say('BDAT ten\r\n', /^501 /m)).toContain('501 5.5.4 Syntax: BDAT chunk-size [LAST]');
    await say('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n', /^250 .*\r\n250 /m);
    await say(`BDAT 90\r\n${'x'.repeat(90)}`, /^250 2\.0\.0 90/m);
    await say('RSET\r\n', /^250 /m);
    await say('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n', /^250 .*\r\n250 /m);
    expect(await say(`BDAT 150 LAST\r\n${'y'.repeat(150)}`, /^552 /m)).toContain('552 5.3.4 Message too big: 150 bytes, limit 100');
    await say('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n', /^250 .*\r\n250 /m);
    expect(await say('BDAT 0 LAST\r\n', /^250 Message accepted/m)).toBeTruthy();
    expect(mta!.messages.map((message) => message.raw.length)).toEqual([0]);
    socket.destroy();
  });

  it('a chunk a fault answers fails the message: later chunks get 503; after LAST a new transaction may begin', async () => {
    const { socket, say } = await session({
      name: 'broken',
      smtp: { chunking: true },
      faults: [
        { fault: 'reply', on: 'BDAT', match: '^5$', reply: '452 4.3.1 Out of memory' },
        { fault: 'reply', on: 'BDAT', match: 'LAST$', times: 1, reply: '554 5.6.1 Message content rejected' },
      ],
    });
    await say('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n', /^250 .*\r\n250 /m);
    expect(await say('BDAT 5\r\nhello', /^452 /m)).toContain('452 4.3.1 Out of memory');
    expect(await say('BDAT 3 LAST\r\nbye', /^503 /m)).toContain('503 5.5.1 Error: the message was refused, RSET first');
    await say('RSET\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n', /^250 .*\r\n250 .*\r\n250 /m);
    expect(await say('BDAT 3 LAST\r\nbye', /^554 /m)).toContain('554 5.6.1 Message content rejected');
    await say('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n', /^250 .*\r\n250 /m);
    expect(await say('BDAT 3 LAST\r\nbye', /^250 Message accepted/m)).toBeTruthy();
    expect(mta!.messages.map((message) => message.raw.toString())).toEqual(['bye']);
    socket.destroy();
  });

  it('is not offered, nor taken, without smtp.chunking', async () => {
    const { socket, say } = await session({ name: 'plain' });
    expect(await say('BDAT 4 LAST\r\n', /^500 /m)).toContain('500 Error: command not recognized');
    socket.destroy();
  });
});
