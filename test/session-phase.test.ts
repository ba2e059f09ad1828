// The session's phases on their own, without sockets: both lifecycles, and what a line
// gets in each phase.
import { describe, expect, it } from 'vitest';
import { LINES, SessionPhase, type PhaseEvent } from '../src/smtp/session-phase.js';

const walk = (phase: SessionPhase, events: PhaseEvent[]) => events.map((event) => (phase.move(event), phase.now));

describe('SessionPhase', () => {
  it('STARTTLS: greeting, commands, handshake, secure; closing at the end', () => {
    const phase = new SessionPhase('starttls');
    expect(phase.now).toBe('greeting');
    expect(walk(phase, ['greeted', 'starttls', 'established', 'closed'])).toEqual(['commands', 'handshake', 'secure', 'closing']);
  });

  it('implicit TLS: the handshake first, then the greeting, then commands inside TLS', () => {
    const phase = new SessionPhase('implicit');
    expect(phase.now).toBe('handshake');
    expect(walk(phase, ['established', 'greeted'])).toEqual(['greeting', 'secure']);
  });

  it('ignores an event its phase does not list, and nothing leaves closing', () => {
    const phase = new SessionPhase('starttls');
    expect(phase.move('established')).toBe(false);
    expect(phase.now).toBe('greeting');
    phase.move('greeted');
    expect(phase.move('stop')).toBe(true);
    expect(walk(phase, ['greeted', 'starttls', 'established', 'closed'])).toEqual(['closing', 'closing', 'closing', 'closing']);
  });

  it('a server that stops lets a message under way finish only where commands run', () => {
    for (const events of [['greeted'], ['greeted', 'starttls', 'established']] as PhaseEvent[][]) {
      const phase = new SessionPhase('starttls');
      walk(phase, events);
      expect(phase.move('stop')).toBe(true);
    }
    const handshaking = new SessionPhase('starttls');
    walk(handshaking, ['greeted', 'starttls']);
    expect(handshaking.move('stop')).toBe(false);
  });

  it('notes lines before the greeting, drops them in the handshake, runs them otherwise', () => {
    expect(LINES).toEqual({ greeting: 'noted', commands: 'run', handshake: 'dropped', secure: 'run', closing: 'run' });
  });
});
