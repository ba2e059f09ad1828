// Real Exim as the receiver of broken senders: each claim about Exim on a sender's
// page runs against Debian's Exim 4.96 daemon (test/exim/receiver.ts), one daemon per
// configuration, checking what Exim logged and what the sender saw. Debian's 4.96 carries
// the CVE-2023-51766 fix: the smuggling sender does not split a message.
//
// BROKEN_MTA_NO_EXIM=1 skips the suite on purpose; without root or apt it fails, naming
// what is missing.
import { beforeAll, describe, expect, it } from 'vitest';
import { eximConfig } from '../../src/sender/receivers.js';
import { describeReceiverClaims } from '../mta/receiver-claims.js';
import { fetchMta, missingTools } from '../mta/support.js';
import { EximReceiver } from './receiver.js';

const skipOnPurpose = process.env.BROKEN_MTA_NO_EXIM === '1';

it.skipIf(skipOnPurpose)('Exim can be unpacked and run here (BROKEN_MTA_NO_EXIM=1 skips the suite)', () => {
  expect(missingTools('exim')).toBeUndefined();
});

describe.skipIf(skipOnPurpose)('real Exim as the receiver of broken senders', () => {
  beforeAll(async () => {
    const missing = missingTools('exim');
    if (missing) throw new Error(missing);
    await fetchMta('exim');
  }, 300_000);

  describeReceiverClaims('exim', 'Exim', (settings) => EximReceiver.start({ macros: eximConfig(settings) }));
});
