// Real Postfix as the receiver of broken senders: each claim about Postfix on a sender's
// page runs against Debian's Postfix 3.7 smtpd (test/postfix/receiver.ts), one daemon per
// configuration, checking what smtpd logged and what the sender saw. Among them the SMTP
// smuggling fix: stock 3.7.11 splits the message; smtpd_forbid_bare_newline stops it.
//
// BROKEN_MTA_NO_POSTFIX=1 skips the suite on purpose; without root or apt it fails, naming
// what is missing.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { postfixConfig } from '../../src/sender/receivers.js';
import { describeReceiverClaims, loggedLine, showRun } from '../mta/receiver-claims.js';
import { readmeBlock, runReadmeBlock } from '../mta/readme-recipe.js';
import { fetchMta, missingTools } from '../mta/support.js';
import { run } from '../support/clients.js';
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

  it('SMTP smuggling: smtpd_forbid_bare_newline = yes (its exclusions emptied), set with postconf and postfix reload on the running smtpd, stops the split', async () => {
    const receiver = await PostfixReceiver.start();
    try {
      const before = await receiver.send('sender-smtp-smuggling');
      expect(before.sent.outcome, showRun('Postfix', before)).toMatchObject({ split: true, messages: 3 });
      loggedLine('Postfix', before, /postfix\/qmgr\[\d+\]: [0-9A-F]+: from=<spoofed@example\.test>, size=\d+, nrcpt=1 \(queue active\)/);
      expect(before.queued).toBe(3);

      await receiver.reconfigure(postfixConfig({ bareNewline: 'refused' }));
      const after = await receiver.send('sender-smtp-smuggling');
      expect(after.sent.outcome, showRun('Postfix', after)).toMatchObject({ split: false, delivered: true, messages: 2 });
      expect(after.log.filter((line) => line.includes('spoofed@example.test')), showRun('Postfix', after)).toEqual([]);
      expect(after.queued).toBe(2);
      expect(after.sent.asExpected).toBe(true);
    } finally {
      await receiver.stop();
    }
  }, 60_000);

  describe('examples/postfix/receive.sh, as the README prints it', () => {
    it.each([
      ['on the stock configuration', 'examples/postfix/receive.sh .mta/'],
      ['with SETTINGS=, the rows change', 'SETTINGS=/tmp/smuggling.cf examples/postfix/receive.sh'],
    ])('%s', async (_what, first) => {
      const block = readmeBlock(first);
      expect(block.rows.length).toBeGreaterThan(1);
      const result = await runReadmeBlock(block);
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toMatch(/^scenario +outcome +healthy +what Postfix logged$/m);
      for (const row of block.rows) expect(result.stdout, result.output).toMatch(row);
      // Nothing left behind: no work folder, no daemon reading its configuration there.
      expect(readdirSync(tmpdir()).filter((name) => name.startsWith('broken-mta-postfix-receive.'))).toEqual([]);
      expect((await run('pgrep', ['-f', 'broken-mta-postfix-receive'])).stdout).toBe('');
    }, 120_000);
  });
});
