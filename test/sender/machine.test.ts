// The sender's SMTP machine without sockets: bytes in, events and actions out.
import { describe, expect, it } from 'vitest';
import { FaultState } from '../../src/faults/when.js';
import { SenderMachine, type MachineOutput } from '../../src/sender/machine.js';
import { messageLines, type SessionPlan } from '../../src/sender/plan.js';
import { parseSenderScenarioObject } from '../../src/scenario/sender-load.js';

function plan(faults: unknown[] = [], overrides: Partial<SessionPlan> = {}): SessionPlan {
  const scenario = parseSenderScenarioObject({
    name: 'sender-test',
    sender: { faults },
  });
  const base = { scenario: 'sender-test', session: 1, helo: 'client.example.test', from: 'a@client.example.test', recipients: ['b@example.test'], date: new Date(0) };
  return { ...base, messageLines: messageLines(base), starttls: true, faults: scenario.sender.faults, faultState: new FaultState(), receiverAddress: '127.0.0.1', ...overrides };
}

/** What the machine writes, as text, over several outputs. */
function written(...outputs: MachineOutput[]): string {
  return outputs.flatMap((output) => output.actions.flatMap((action) => (action.type === 'write' ? [action.bytes.toString('latin1')] : [`<${action.type}>`]))).join('');
}

const EHLO_OK = '250-mx.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n';

describe('the sender machine', () => {
  it('a plain session: greeting, EHLO, STARTTLS, then the message after the handshake, QUIT', () => {
    const machine = new SenderMachine(plan());
    const outputs = [machine.start(), machine.receive(Buffer.from('220 mx ESMTP\r\n')), machine.receive(Buffer.from(EHLO_OK))];
    expect(written(...outputs)).toBe('EHLO client.example.test\r\nSTARTTLS\r\n');
    expect(written(machine.receive(Buffer.from('220 2.0.0 Ready\r\n')))).toBe('<start-tls>');
    expect(written(machine.tlsDone(true))).toBe('EHLO client.example.test\r\n');
    expect(written(machine.receive(Buffer.from('250 mx\r\n')))).toBe('MAIL FROM:<a@client.example.test>\r\n');
    expect(written(machine.receive(Buffer.from('250 ok\r\n')))).toBe('RCPT TO:<b@example.test>\r\n');
    expect(written(machine.receive(Buffer.from('250 ok\r\n')))).toBe('DATA\r\n');
    const message = written(machine.receive(Buffer.from('354 go\r\n')));
    expect(message).toMatch(/^From: <a@client\.example\.test>\r\n/);
    expect(message).toContain('\r\n..A line that starts with a dot');
    expect(message.endsWith('\r\n.\r\n')).toBe(true);
    const accepted = machine.receive(Buffer.from('250 2.0.0 queued\r\n'));
    expect(written(accepted)).toBe('QUIT\r\n');
    expect(accepted.events).toContainEqual(expect.objectContaining({ type: 'message', from: 'a@client.example.test', to: ['b@example.test'], secure: true }));
    expect(written(machine.receive(Buffer.from('221 bye\r\n')))).toBe('<close>');
    expect(machine.summary).toMatchObject({ tls: 'established', accepted: [{ secure: true, hidden: false }], split: false });
  });

  it('a refused STARTTLS: the message goes in plaintext on the same connection', () => {
    const machine = new SenderMachine(plan());
    machine.start();
    machine.receive(Buffer.from('220 mx\r\n'));
    machine.receive(Buffer.from(EHLO_OK));
    expect(written(machine.receive(Buffer.from('454 4.7.0 TLS not available\r\n')))).toBe('MAIL FROM:<a@client.example.test>\r\n');
    expect(machine.summary.tls).toBe('refused');
  });

  it('EHLO refused: HELO, and no STARTTLS after it', () => {
    const machine = new SenderMachine(plan());
    machine.start();
    machine.receive(Buffer.from('220 mx\r\n'));
    expect(written(machine.receive(Buffer.from('502 5.5.2 no EHLO\r\n')))).toBe('HELO client.example.test\r\n');
    expect(written(machine.receive(Buffer.from('250 mx\r\n')))).toBe('MAIL FROM:<a@client.example.test>\r\n');
  });

  it('pregreet: EHLO goes with the connection; a 554 greeting leads to QUIT, and the EHLO reply changes nothing', () => {
    const machine = new SenderMachine(plan([{ fault: 'pregreet', on: 'CONNECT' }]));
    const start = machine.start();
    expect(written(start)).toBe('EHLO client.example.test\r\n');
    expect(start.events[0]).toMatchObject({ type: 'fault', fault: 'pregreet', step: 'CONNECT' });
    expect(written(machine.receive(Buffer.from('554 not accepting messages\r\n')))).toBe('QUIT\r\n');
    expect(written(machine.receive(Buffer.from('250 mx\r\n')))).toBe('');
    expect(written(machine.receive(Buffer.from('221 bye\r\n')))).toBe('<close>');
    expect(machine.summary.accepted).toEqual([]);
  });

  it('pipeline: MAIL, every RCPT and DATA in one write; the replies are matched in order', () => {
    const machine = new SenderMachine(plan([{ fault: 'pipeline', on: 'MAIL' }], { starttls: false, recipients: ['b@example.test', 'c@example.test'] }));
    machine.start();
    machine.receive(Buffer.from('220 mx\r\n'));
    const batch = machine.receive(Buffer.from('250 mx\r\n'));
    expect(batch.actions).toHaveLength(1);
    expect(written(batch)).toBe('MAIL FROM:<a@client.example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n');
    expect(written(machine.receive(Buffer.from('250 ok\r\n250 ok\r\n550 no such user\r\n')))).toBe('');
    expect(written(machine.receive(Buffer.from('354 go\r\n')))).toMatch(/\r\n\.\r\n$/);
    expect(machine.summary).toMatchObject({ recipientsAccepted: 1, recipientsRefused: 1 });
  });

  it('smuggling: a receiver that splits answers the hidden commands, one that does not answers QUIT with 221', () => {
    const run = (afterEnd: string[]) => {
      const machine = new SenderMachine(plan([{ fault: 'smuggle', on: 'END-OF-DATA' }], { starttls: false }));
      machine.start();
      for (const input of ['220 mx\r\n', '250 mx\r\n', '250 ok\r\n', '250 ok\r\n']) machine.receive(Buffer.from(input));
      const data = written(machine.receive(Buffer.from('354 go\r\n')));
      expect(data).toContain('\n.\r\nMAIL FROM:<spoofed@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
      expect(written(machine.receive(Buffer.from('250 ok\r\n')))).toBe('QUIT\r\n');
      for (const input of afterEnd) machine.receive(Buffer.from(input));
      return machine.summary;
    };
    expect(run(['221 bye\r\n'])).toMatchObject({ split: false, accepted: [{ hidden: false }] });
    expect(run(['250 sender ok\r\n', '250 rcpt ok\r\n', '354 go\r\n', '250 queued\r\n', '221 bye\r\n'])).toMatchObject({
      split: true,
      accepted: [{ hidden: false }, { hidden: true, from: 'spoofed@example.test' }],
    });
  });

  it('421 at any point: the sender closes', () => {
    const machine = new SenderMachine(plan());
    machine.start();
    expect(written(machine.receive(Buffer.from('421 4.3.2 shutting down\r\n')))).toBe('<close>');
    expect(machine.summary.cutShort).toMatch(/421/);
  });

  it('close at TLS: no ClientHello, a FIN; garbage at TLS: plaintext, then the sender waits for the receiver', () => {
    for (const [fault, expected] of [['close', '<close>'], ['garbage', 'MAIL FROM:<a@client.example.test>\r\n']] as const) {
      const machine = new SenderMachine(plan([{ fault, on: 'TLS' }]));
      machine.start();
      machine.receive(Buffer.from('220 mx\r\n'));
      machine.receive(Buffer.from(EHLO_OK));
      const output = machine.receive(Buffer.from('220 Ready\r\n'));
      expect(written(output)).toBe(expected);
      expect(output.events).toContainEqual(expect.objectContaining({ type: 'tls-failed' }));
      expect(machine.summary.tls).toBe('failed');
    }
  });

  it('truncate at END-OF-DATA: part of the message, then a FIN; nothing accepted', () => {
    const machine = new SenderMachine(plan([{ fault: 'truncate', on: 'END-OF-DATA', bytes: 40 }], { starttls: false }));
    machine.start();
    for (const input of ['220 mx\r\n', '250 mx\r\n', '250 ok\r\n', '250 ok\r\n']) machine.receive(Buffer.from(input));
    const output = machine.receive(Buffer.from('354 go\r\n'));
    expect(output.actions).toEqual([{ type: 'write', bytes: expect.any(Buffer) }, { type: 'close' }]);
    expect((output.actions[0] as { bytes: Buffer }).bytes).toHaveLength(40);
    machine.closed('client');
    expect(machine.summary).toMatchObject({ accepted: [], closedBy: 'client' });
  });

  it('recipient-flood: the message goes to count recipients', () => {
    const machine = new SenderMachine(plan([{ fault: 'recipient-flood', on: 'RCPT', count: 3 }], { starttls: false }));
    machine.start();
    for (const input of ['220 mx\r\n', '250 mx\r\n']) machine.receive(Buffer.from(input));
    expect(written(machine.receive(Buffer.from('250 ok\r\n')))).toBe('RCPT TO:<b@example.test>\r\n');
    expect(written(machine.receive(Buffer.from('250 ok\r\n')))).toBe('RCPT TO:<b+2@example.test>\r\n');
    expect(written(machine.receive(Buffer.from('452 4.5.3 Too many recipients\r\n')))).toBe('RCPT TO:<b+3@example.test>\r\n');
    expect(written(machine.receive(Buffer.from('452 4.5.3 Too many recipients\r\n')))).toBe('DATA\r\n');
    expect(machine.summary).toMatchObject({ recipientsAccepted: 1, recipientsRefused: 2 });
  });

  it('a reply that is not SMTP, or a line without end past 4 KiB, is an error the session reports', () => {
    expect(() => new SenderMachine(plan()).receive(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).toThrow(/not an SMTP reply/);
    expect(() => new SenderMachine(plan()).receive(Buffer.alloc(5000, 0x41))).toThrow(/over 4096 bytes without a newline/);
  });
});
