// What the README promises, held to the code: the event types it names, and no leftovers
// of a merge in any tracked file.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SESSION_EVENT_TYPES } from '../src/events.js';
import { rawConnect, run } from './support/clients.js';
import { codeBlocks, installedProject, README, ROOT, shell } from './support/readme.js';

describe('the README', () => {
  it('names exactly the event types of the SessionEvent union, each once, in its order', () => {
    const paragraph = README.split('\n- `--json`')[1]!.split('\n- ')[0]!;
    const named = [...paragraph.matchAll(/`([a-z][a-z-]*)`/g)].map((match) => match[1]);
    expect(named).toEqual(SESSION_EVENT_TYPES);
  });
});

describe('Trusting the test CA', () => {
  // The openssl line needs a server on port 2525, which tests never take; the certs lines run as printed.
  const lines = codeBlocks('## Trusting the test CA')[0]!.split('\n').filter((line) => line.startsWith('npx broken-mta certs'));

  it('certs prints the CA path; --client the two client files; --export DIR writes the four files', async () => {
    expect(lines).toHaveLength(3);
    const project = installedProject();
    const certs = process.env.BROKEN_MTA_CERTS!;
    const [ca, client, exported] = await Promise.all(lines.map((line) => shell(line, project)));
    expect(ca).toMatchObject({ code: 0, stdout: `${join(certs, 'test-ca.pem')}\n`, stderr: '' });
    expect(client).toMatchObject({ code: 0, stdout: `${join(certs, 'client-cert.pem')}\n${join(certs, 'client-key.pem')}\n` });
    expect(exported).toMatchObject({ code: 0, stdout: `${join(project, 'DIR')}\n` });
    expect(readdirSync(join(project, 'DIR')).sort()).toEqual(['client-cert.pem', 'client-key.pem', 'test-ca.pem', 'test-intermediate.pem']);
  });
});

describe('A server in a shell script or CI job', () => {
  const [script] = codeBlocks('## A server in a shell script or CI job');

  it.each([
    ['as printed, run by bash', [] as string[]],
    ['under set -euo pipefail, as CI scripts often are', ['-euo', 'pipefail']],
  ])('%s: the client sees the failure, and the trap stops the server and frees its port', async (_, flags) => {
    const project = installedProject();
    const result = await run('bash', [...flags, '-c', script!], { cwd: project, timeoutMs: 20_000 });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('dh key too small');
    const port = Number(/^listening on 127\.0\.0\.1:(\d+) scenario=weak-dh$/m.exec(readFileSync(join(project, 'mta.log'), 'utf8'))![1]);
    await expect(rawConnect(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('the repository', () => {
  it('no tracked file holds a merge-conflict marker line', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(50);
    const marker = /^(<{7}|>{7})( |$)|^={7}$/;
    const found = files.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, index) => (marker.test(line) ? [`${file}:${index + 1}: ${line}`] : [])),
    );
    expect(found).toEqual([]);
  });
});
