// Real Postfix as the receiver of broken senders: each claim about Postfix on a sender's
// page runs against Debian's Postfix 3.7 smtpd (test/postfix/receiver.ts), one daemon per
// configuration, checking what smtpd logged and what the sender saw. Among them the SMTP
// smuggling fix: stock 3.7.11 splits the message; smtpd_forbid_bare_newline stops it.
//
// BROKEN_MTA_NO_POSTFIX=1 skips the suite on purpose; without root or apt it fails, naming
// what is missing.
import { beforeAll, describe, expect, it } from 'vitest';
import { postfixConfig } from '../../src/sender/receivers.js';
import { describeReceiverClaims } from '../mta/receiver-claims.js';
import { fetchMta, missingTools } from '../mta/support.js';
import { PostfixReceiver } from './receiver.js';

const skipOnPurpose = process.env.BROKEN_MTA_NO_POSTFIX === '1';

it.skipIf(skipOnPurpose)('Postfix can be unpacked and run here (BROKEN_MTA_NO_POSTFIX=1 skips the suite)', () => {
  expect(missingTools('postfix')).toBeUndefined();
});

describe.skipIf(skipOnPurpose)('real Postfix as the receiver of broken senders', () => {
  beforeAll(async () => {
    const missing = missingTools('postfix');
    if (missing) throw new Error(missing);
    await fetchMta('postfix');
  }, 300_000);

  describeReceiverClaims('postfix', 'Postfix', (settings) => PostfixReceiver.start({ settings: postfixConfig(settings) }));
});
