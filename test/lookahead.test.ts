// Which command lines came with more input behind them (RFC 2920), without sockets.
import { describe, expect, it } from 'vitest';
import { Lookahead } from '../src/smtp/lookahead.js';

const dispatch = (lookahead: Lookahead) => (lookahead.dispatched(), lookahead.pipelined);

describe('Lookahead', () => {
  it('a line alone in its chunk is not pipelined; lines sent together are, all but the last', () => {
    const lookahead = new Lookahead();
    lookahead.arrived(Buffer.from('EHLO a\r\n'));
    expect(dispatch(lookahead)).toBe(false);
    lookahead.arrived(Buffer.from('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'));
    expect([dispatch(lookahead), dispatch(lookahead), dispatch(lookahead)]).toEqual([true, true, false]);
  });

  it('a chunk that ends inside the next line counts as more behind', () => {
    const lookahead = new Lookahead();
    lookahead.arrived(Buffer.from('EHLO a\r\nMAI'));
    expect(dispatch(lookahead)).toBe(true);
    lookahead.arrived(Buffer.from('L FROM:<a@b>\r\n'));
    expect(dispatch(lookahead)).toBe(false);
  });

  it('a command split over two chunks is not pipelined', () => {
    const lookahead = new Lookahead();
    lookahead.arrived(Buffer.from('EHL'));
    lookahead.arrived(Buffer.from('O a\r\n'));
    expect(dispatch(lookahead)).toBe(false);
  });

  it("a message's content is not commands: entering it forgets the lines counted", () => {
    const lookahead = new Lookahead();
    lookahead.arrived(Buffer.from('DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n'));
    lookahead.content();
    lookahead.arrived(Buffer.from('QUIT\r\n'));
    expect(dispatch(lookahead)).toBe(false);
  });
});
