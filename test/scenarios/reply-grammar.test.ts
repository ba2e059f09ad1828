// The `raw` fault's bytes on the wire, read with a bare socket: what the grammar pages'
// claims rest on (the pages themselves are checked with nodemailer, swaks and smtplib in
// test/claims). One mechanism: other lines, a line ending, a place next to the normal
// reply, padding, pieces with pauses; and a paced reply is never overtaken or cut short.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario, type ScenarioInput } from '../../src/index.js';
import { rawConnect, readUntil } from '../support/clients.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

const serve = async (faults: ScenarioInput['faults']) => {
  mta = await startScenario({ name: 'raw-bytes', faults });
  const socket = await rawConnect(mta.port);
  socket.on('error', () => undefined);
  return socket;
};

/** Every chunk the socket delivers until it ends, `until` holds of their text, or `ms` have passed. */
function chunks(socket: Socket, ms: number, until: (text: string) => boolean = () => false): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const seen: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      seen.push(chunk);
      if (until(Buffer.concat(seen).toString())) resolve(seen);
    });
    const done = () => resolve(seen);
    socket.once('end', done);
    setTimeout(done, ms);
  });
}

describe('raw', () => {
  it('writes the lines as given, unchecked, with {hostname} filled in; the reply event says what went on the wire', async () => {
    const socket = await serve([{ fault: 'raw', on: 'CONNECT', lines: ['220{hostname} ESMTP', '2x0 nope'] }]);
    expect(await readUntil(socket, /nope\r\n/)).toBe('220mx.broken-mta.test ESMTP\r\n2x0 nope\r\n');
    expect(await mta!.waitFor((e) => e.type === 'reply')).toMatchObject({ code: 220, sent: '220mx.broken-mta.test ESMTP\r\n2x0 nope\r\n' });
    socket.destroy();
  });

  it('keeps smtp-server going as if the normal reply had gone out: EHLO replaced, MAIL still accepted', async () => {
    const socket = await serve([{ fault: 'raw', on: 'EHLO', lines: ['250 short'], lineEnding: 'lf' }]);
    await readUntil(socket, /^220 /m);
    socket.write('EHLO client.example.test\r\n');
    expect(await readUntil(socket, /short\n/)).toBe('250 short\n');
    socket.write('MAIL FROM:<a@example.test>\r\n');
    expect(await readUntil(socket, /^250 /m)).toBe('250 Accepted\r\n');
    socket.destroy();
  });

  it('before and after: the normal reply goes out too, in the same write; without lines, after doubles it', async () => {
    const socket = await serve([
      { fault: 'raw', on: 'CONNECT', place: 'before', lines: ['220-first'] },
      { fault: 'raw', on: 'NOOP', place: 'after' },
    ]);
    expect(await readUntil(socket, /^220 /m)).toBe('220-first\r\n220 mx.broken-mta.test ESMTP\r\n');
    socket.write('NOOP\r\n');
    expect(await readUntil(socket, /OK\r\n.*OK\r\n/s)).toBe('250 OK\r\n250 OK\r\n');
    socket.destroy();
  });

  it('padTo pads the last line, its line ending not counted', async () => {
    const socket = await serve([{ fault: 'raw', on: 'CONNECT', lines: ['220-one', '220 two '], padTo: 70_000 }]);
    const text = await readUntil(socket, /x\r\n$/);
    const [first, last] = text.split('\r\n');
    expect(first).toBe('220-one');
    expect(last).toHaveLength(70_000);
    expect(last).toMatch(/^220 two x+$/);
    socket.destroy();
  });

  it('segmentBytes and pauseMs: one byte a segment, each after the pause', async () => {
    const socket = await serve([{ fault: 'raw', on: 'CONNECT', segmentBytes: 1, pauseMs: 30 }]);
    const started = Date.now();
    const seen = await chunks(socket, 5000, (text) => text.endsWith('\r\n'));
    const text = Buffer.concat(seen).toString();
    expect(text).toBe('220 mx.broken-mta.test ESMTP\r\n');
    expect(seen.length).toBeGreaterThan(text.length / 2); // loopback may join a few, never most
    expect(Date.now() - started).toBeGreaterThanOrEqual(30 * (text.length - 1));
    socket.destroy();
  });

  it('a paced reply is not overtaken by the next one, nor cut short by the close that follows it', async () => {
    const socket = await serve([{ fault: 'raw', on: 'NOOP', segmentBytes: 2, pauseMs: 20 }]);
    await readUntil(socket, /^220 /m);
    const seen = chunks(socket, 3000);
    socket.write('NOOP\r\nRSET\r\nQUIT\r\n');
    expect(Buffer.concat(await seen).toString()).toBe('250 OK\r\n250 Flushed\r\n221 Bye\r\n');
    expect(await mta!.waitFor((e) => e.type === 'close')).toMatchObject({ by: 'server' });
  });
});
