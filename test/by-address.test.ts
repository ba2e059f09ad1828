// The by-address grammar (README: Replies chosen by the address), without sockets.
import { describe, expect, it } from 'vitest';
import { directiveOf, replyOf } from '../src/faults/by-address.js';

describe('by-address', () => {
  it.each([
    ['rcpt550_5.1.1@x.test', { word: 'rcpt', code: 550, enhanced: '5.1.1' }, '550 5.1.1 Requested action not taken: mailbox unavailable'],
    ['RCPT452@x.test', { word: 'rcpt', code: 452 }, '452 Requested action not taken: insufficient system storage'],
    ['data554@x.test', { word: 'data', code: 554 }, '554 Transaction failed'],
    ['dot451_4.3.0+retry@x.test', { word: 'dot', code: 451, enhanced: '4.3.0' }, '451 4.3.0 Requested action aborted: local error in processing'],
    ['quit421@x.test', { word: 'quit', code: 421 }, '421 Service not available, closing transmission channel'],
    ['mail550@x.test', { word: 'mail', code: 550 }, '550 Requested action not taken: mailbox unavailable'],
    ['rcpt299@x.test', { word: 'rcpt', code: 299 }, '299 Reply chosen by the address'],
  ])('%s chooses %j', (address, directive, reply) => {
    expect(directiveOf(address)).toEqual(directive);
    const { code, text } = replyOf(directive as never);
    expect(`${code} ${text}`).toBe(reply);
  });

  it.each(['rcpt55@x.test', 'rcpt650@x.test', 'rcpt550_5.1@x.test', 'rcpt550_4.1.1@x.test', 'data554x@x.test', 'quit_421@x.test'])('%s is a bad form: 501', (address) => {
    expect(directiveOf(address)).toHaveProperty('error');
  });

  it.each(['alice@x.test', 'rcpt@x.test', 'data@x.test', 'rcptor550@x.test', 'postmaster'])('%s is an ordinary address', (address) => {
    expect(directiveOf(address)).toBeUndefined();
  });
});
