// The line guard on its own, without sockets: what passes to the parser, what is dropped,
// and when the client is told. (test/limits.test.ts holds the same rule against real clients.)
import { describe, expect, it } from 'vitest';
import { firstLongLine, guardLineLength, type CommandParser } from '../src/smtp/line-guard.js';

/** A parser that splits lines as smtp-server's does, and keeps them. */
function lineParser(options: { inData?: () => boolean } = {}) {
  let pending = '';
  const lines: string[] = [];
  const tooLong: Array<[number, boolean]> = [];
  const parser: CommandParser = {
    write(chunk, _encoding, next) {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        lines.push(pending.slice(0, end + 1));
        pending = pending.slice(end + 1);
      }
      next();
    },
    passesThrough: options.inData ?? (() => false),
    carried: () => pending.length,
    dropCarried: () => void (pending = ''),
  };
  const write = guardLineLength(parser, () => 10, (bytes, complete) => tooLong.push([bytes, complete]));
  const send = (...chunks: string[]) => {
    for (const chunk of chunks) write(Buffer.from(chunk, 'latin1'), 'buffer', () => undefined);
  };
  return { send, lines, tooLong };
}

describe('guardLineLength', () => {
  it('passes lines within the limit as they are', () => {
    const { send, lines, tooLong } = lineParser();
    send('NOOP\r\n', 'RSET\r\nQU', 'IT\r\n');
    expect(lines).toEqual(['NOOP\r\n', 'RSET\r\n', 'QUIT\r\n']);
    expect(tooLong).toEqual([]);
  });

  it('drops a complete line over the limit, answers it once, and runs the lines around it', () => {
    const { send, lines, tooLong } = lineParser();
    send('NOOP\r\nMAIL FROM:<long@example.test>\r\nRSET\r\n');
    expect(lines).toEqual(['NOOP\r\n', 'RSET\r\n']);
    expect(tooLong).toEqual([[31, true]]);
  });

  it('answers a line with no end as soon as it reaches the limit, then drops the rest up to its end', () => {
    const { send, lines, tooLong } = lineParser();
    send('XXXXXXXXXX', 'YYYYYYYYYYYYYYYY', 'ZZZ\r\nNOOP\r\n');
    expect(tooLong).toEqual([[10, false]]);
    expect(lines).toEqual(['NOOP\r\n']);
  });

  it('counts the part of a line the parser holds from an earlier chunk', () => {
    const { send, lines, tooLong } = lineParser();
    send('MAIL', ' FROM:<\r\n');
    expect(tooLong).toEqual([[13, true]]);
    expect(lines).toEqual([]);
  });

  it('leaves message content alone', () => {
    const { send, lines, tooLong } = lineParser({ inData: () => true });
    send('a line of message content far over ten bytes\r\n');
    expect(lines).toHaveLength(1);
    expect(tooLong).toEqual([]);
  });
});

describe('firstLongLine', () => {
  it('finds the first line over the limit, with where it starts and ends', () => {
    expect(firstLongLine(Buffer.from('ok\nfar too long\nok\n'), 0, 5)).toEqual({ start: 3, end: 15, bytes: 13 });
    expect(firstLongLine(Buffer.from('ok\nok\n'), 0, 5)).toBeUndefined();
    expect(firstLongLine(Buffer.from('12345'), 0, 5)).toEqual({ start: 0, end: -1, bytes: 5 });
    expect(firstLongLine(Buffer.from('1234'), 0, 5)).toBeUndefined();
  });
});
