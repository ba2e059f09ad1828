import { z } from 'zod';
import { defineSenderFault } from './fault.js';

// Mass mailers and compromised accounts: one message, hundreds of RCPT. RFC 5321 §4.5.3.1.8
// asks a receiver to take at least 100; beyond that it may answer 452.
export default defineSenderFault({
  name: 'recipient-flood',
  summary: 'Address the message to `count` recipients (the planned ones, then rcpt+2@, rcpt+3@... at the same domain: subaddresses of a mailbox that exists)',
  steps: ['RCPT'],
  settings: { count: z.number().int().min(2).max(10_000).describe('How many recipients in all') },
  apply(target, { count }) {
    const missing = count - target.recipients.length;
    if (missing <= 0) return undefined;
    const first = target.recipients[0] ?? 'rcpt@example.test';
    const domain = first.slice(first.lastIndexOf('@') + 1);
    const local = first.slice(0, first.lastIndexOf('@'));
    const start = target.recipients.length + 1;
    target.addRecipients(Array.from({ length: missing }, (_, i) => `${local}+${start + i}@${domain}`));
    return { detail: `the message goes to ${count} recipients` };
  },
});
