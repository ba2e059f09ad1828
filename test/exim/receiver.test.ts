// Real Exim as the receiver of broken senders: each claim about Exim on a sender's
// page runs against Debian's Exim 4.96 daemon (test/exim/receiver.ts), one daemon per
// configuration, checking what Exim logged and what the sender saw. Debian's 4.96 carries
// the CVE-2023-51766 fix: the smuggling sender does not split a message.
//
// BROKEN_MTA_NO_EXIM=1 skips the suite on purpose; without root or apt it fails, naming
// what is missing.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { eximConfig } from '../../src/sender/receivers.js';
import { describeReceiverClaims } from '../mta/receiver-claims.js';
import { readmeBlock, runReadmeBlock } from '../mta/readme-recipe.js';
import { fetchMta, missingTools } from '../mta/support.js';
import { run } from '../support/clients.js';
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

  describe('examples/exim/receive.sh, as the README prints it', () => {
    it.each([
      ['on the stock configuration', 'examples/exim/receive.sh .mta/'],
      ['with MACROS=, the rows change', 'MACROS=/tmp/macros examples/exim/receive.sh'],
    ])('%s', async (_what, first) => {
      const block = readmeBlock(first);
      expect(block.rows.length).toBeGreaterThan(1);
      const result = await runReadmeBlock(block);
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toMatch(/^scenario +outcome +healthy +what Exim logged$/m);
      for (const row of block.rows) expect(result.stdout, result.output).toMatch(row);
      // Nothing left behind: no work folder, no daemon reading its configuration there.
      expect(readdirSync(tmpdir()).filter((name) => name.startsWith('broken-mta-exim-receive.'))).toEqual([]);
      expect((await run('pgrep', ['-f', 'broken-mta-exim-receive'])).stdout).toBe('');
    }, 120_000);
  });
});
