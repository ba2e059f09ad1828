// When a fault applies: the shared `when` rules, without sockets.
import { describe, expect, it } from 'vitest';
import { addressOf, applies, FaultState, parametersOf, type StepContext, type WhenSettings } from '../src/faults/when.js';

const context = (overrides: Partial<StepContext> = {}): StepContext => ({
  argument: 'rcpt@example.test',
  session: 1,
  clientAddress: '127.0.0.1',
  secure: false,
  sender: 'sender@example.test',
  recipient: 'rcpt@example.test',
  ...overrides,
});
const when = (settings: Partial<WhenSettings>): WhenSettings => ({ per: 'server', seed: 1, ...settings });

describe('applies', () => {
  it('always, when nothing limits it', () => {
    expect(applies(when({}), 0, context(), new FaultState())).toBe(true);
  });

  it('match is a case-insensitive regex on the argument', () => {
    expect(applies(when({ match: '^NOBODY@' }), 0, context({ argument: 'nobody@x.test' }), new FaultState())).toBe(true);
    expect(applies(when({ match: '^nobody@' }), 0, context({ argument: 'alice@x.test' }), new FaultState())).toBe(false);
  });

  it('authenticated, pipelined, parameters and content narrow it too', () => {
    const state = new FaultState();
    expect(applies(when({ authenticated: false }), 0, context(), state)).toBe(true);
    expect(applies(when({ authenticated: false }), 0, context({ authenticated: true }), state)).toBe(false);
    expect(applies(when({ pipelined: true }), 0, context({ pipelined: true }), state)).toBe(true);
    expect(applies(when({ pipelined: true }), 0, context(), state)).toBe(false);
    expect(applies(when({ parameters: '(^|\\s)SMTPUTF8(\\s|$)' }), 0, context({ parameters: 'SIZE=10 SMTPUTF8' }), state)).toBe(true);
    expect(applies(when({ parameters: '(^|\\s)SMTPUTF8(\\s|$)' }), 0, context({ parameters: 'SIZE=10' }), state)).toBe(false);
    expect(applies(when({ content: '[\\x80-\\xff]' }), 0, context({ content: () => Buffer.from('Grüße').toString('latin1') }), state)).toBe(true);
    expect(applies(when({ content: '[\\x80-\\xff]' }), 0, context({ content: () => 'plain' }), state)).toBe(false);
  });

  it('parametersOf: what follows the address', () => {
    expect(parametersOf('FROM:<a@b> SMTPUTF8 BODY=8BITMIME')).toBe('SMTPUTF8 BODY=8BITMIME');
    expect(parametersOf('TO:<a@b>')).toBe('');
    expect(parametersOf('FROM:a@b SIZE=10')).toBe('SIZE=10');
  });

  it('session and client narrow it', () => {
    expect(applies(when({ session: 2 }), 0, context({ session: 1 }), new FaultState())).toBe(false);
    expect(applies(when({ session: 2 }), 0, context({ session: 2 }), new FaultState())).toBe(true);
    expect(applies(when({ client: '10.0.0.1' }), 0, context(), new FaultState())).toBe(false);
  });

  it('times per triple: the first attempt of each triple only (greylisting)', () => {
    const state = new FaultState();
    const rule = when({ times: 1, per: 'triple' });
    expect(applies(rule, 0, context(), state)).toBe(true);
    expect(applies(rule, 0, context({ session: 2 }), state)).toBe(false);
    expect(applies(rule, 0, context({ recipient: 'other@example.test' }), state)).toBe(true);
    expect(applies(rule, 0, context({ recipient: 'RCPT@example.test' }), state)).toBe(false);
    expect(applies(rule, 0, context({ clientAddress: '127.0.0.2' }), state)).toBe(true);
  });

  it('after per client: normal the first N times, then applies (rate limiting)', () => {
    const state = new FaultState();
    const rule = when({ after: 2, per: 'client' });
    expect([1, 2, 3, 4].map(() => applies(rule, 0, context(), state))).toEqual([false, false, true, true]);
    expect(applies(rule, 0, context({ clientAddress: '127.0.0.9' }), state)).toBe(false);
  });

  it('after and times together: a window', () => {
    const state = new FaultState();
    const rule = when({ after: 1, times: 2 });
    expect([1, 2, 3, 4].map(() => applies(rule, 0, context(), state))).toEqual([false, true, true, false]);
  });

  it('counters are per fault entry and per server', () => {
    const state = new FaultState();
    const rule = when({ times: 1 });
    expect(applies(rule, 0, context(), state)).toBe(true);
    expect(applies(rule, 1, context(), state)).toBe(true);
    expect(applies(rule, 0, context(), new FaultState())).toBe(true);
  });

  it('probability is reproducible from its seed, and about right', () => {
    const run = (seed: number) => {
      const state = new FaultState();
      return Array.from({ length: 1000 }, () => applies(when({ probability: 0.3, seed }), 0, context(), state));
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    const hits = run(42).filter(Boolean).length;
    expect(hits).toBeGreaterThan(250);
    expect(hits).toBeLessThan(350);
  });
});

describe('addressOf', () => {
  it('takes the address out of MAIL and RCPT arguments', () => {
    expect(addressOf('FROM:<a@b.test> SIZE=10')).toBe('a@b.test');
    expect(addressOf('TO:<>')).toBe('');
    expect(addressOf('TO:c@d.test')).toBe('c@d.test');
  });
});
