// `broken-mta dns` with an MTA-STS scenario: its JSON line, and SIGUSR1 publishing the
// scenario's next policy (a new id in the TXT record, the new policy on the host), as seen
// by kdig through the domain's resolver and by curl at the policy host.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { run } from '../support/clients.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const skipOnPurpose = process.env.BROKEN_MTA_NO_POSTFIX === '1';

interface Served {
  resolver: string;
  mx: Array<{ host: string; address: string; port: number }>;
  mtaSts: { txt: string; policy: string; address: string; port: number; ca: string };
}

async function firstLine(child: ReturnType<typeof spawn>): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout!) {
    text += chunk;
    if (text.includes('\n')) return text.split('\n')[0]!;
  }
  throw new Error(`broken-mta dns printed no line: ${text}`);
}

describe.skipIf(skipOnPurpose)('broken-mta dns --scenario sts-id-change', () => {
  it('prints where the MX, the policy host and the resolver are; SIGUSR1 publishes id 2 and its policy', { timeout: 60_000 }, async () => {
    const child = spawn('node', [CLI, 'dns', '--scenario', 'sts-id-change', '--domain', 'example.test'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    try {
      const served = JSON.parse(await firstLine(child)) as Served;
      expect(served.mx).toEqual([{ host: 'mx.example.test', address: served.mtaSts.address, port: 25 }]);
      expect(served.mtaSts).toMatchObject({ txt: 'v=STSv1; id=1', policy: 'https://mta-sts.example.test/.well-known/mta-sts.txt', port: 443 });
      const txt = () => run('kdig', [`@${served.resolver}`, '_mta-sts.example.test', 'TXT', '+short']);
      const policy = () => run('curl', ['-sS', '--cacert', served.mtaSts.ca, '--resolve', `mta-sts.example.test:443:${served.mtaSts.address}`, served.mtaSts.policy]);
      expect((await txt()).stdout).toBe('"v=STSv1; id=1"\n');
      expect((await policy()).stdout).toContain('mode: testing\r\n');
      expect(stderr).toMatch(/kill -USR1 \d+ publishes the next policy \(2\)/);
      child.kill('SIGUSR1');
      const deadline = Date.now() + 15_000;
      while (!stderr.includes('published the next policy') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stderr).toContain('published the next policy: v=STSv1; id=2 (mode enforce)');
      expect((await txt()).stdout).toBe('"v=STSv1; id=2"\n');
      expect((await policy()).stdout).toContain('mode: enforce\r\n');
      expect(stderr).toContain('policy host: GET /.well-known/mta-sts.txt from 127.0.0.1: 200 (policy id 2)');
    } finally {
      child.kill('SIGINT');
      if (child.exitCode === null) await once(child, 'exit');
    }
    expect(child.exitCode).toBe(0);
  });
});
