// What the README promises, held to the code: the event types it names, and no leftovers
// of a merge in any tracked file.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { SESSION_EVENT_TYPES } from '../src/events.js';
import { rawConnect, readUntil, run } from './support/clients.js';
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

describe('Write your own scenario', () => {
  const blocks = codeBlocks('## Write your own scenario');
  /** The YAML blocks, written to the project under the name their first line gives. */
  const writeFiles = (project: string) => {
    for (const block of blocks.filter((text) => text.startsWith('# ') && text.split('\n')[0]!.endsWith('.yaml'))) {
      writeFileSync(join(project, block.split('\n')[0]!.slice(2)), block);
    }
  };
  const commands = blocks.filter((text) => text.startsWith('npx ')).map((text) => text.trim());

  it('has the smallest file, an extends example, and a command for each', () => {
    expect(blocks.filter((text) => text.startsWith('# '))).toHaveLength(2);
    expect(commands).toEqual(['npx broken-mta --scenario ./relay-denied.yaml --port 0', 'npx broken-mta show ./postfix-weak-dh.yaml']);
  });

  it('the smallest file serves: RCPT gets the 550', async () => {
    const project = installedProject();
    writeFiles(project);
    // Its own process group, since npx runs it under npm and a shell (see the CI section).
    const child = spawn('bash', ['-c', commands[0]!], { cwd: project, detached: true });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = (await lines.next()).value as string;
      const match = /^listening on 127\.0\.0\.1:(\d+) scenario=relay-denied$/.exec(first);
      expect(match, first).not.toBeNull();
      const socket = await rawConnect(Number(match![1]));
      await readUntil(socket, /^220 /m);
      socket.write('EHLO client.example.test\r\nMAIL FROM:<a@client.example.test>\r\nRCPT TO:<b@example.test>\r\n');
      expect(await readUntil(socket, /^550 .*\r\n/m)).toMatch(/^550 5\.7\.1 Relaying denied\r\n/m);
      socket.destroy();
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  });

  it('the extends example: weak-dh\'s page and behaviour, with the Postfix banner', async () => {
    const project = installedProject();
    writeFiles(project);
    const shown = await shell(commands[1]!, project);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^postfix-weak-dh: DHE with a 512-bit group/);
    expect(shown.stdout).toContain('greeting: 220 {hostname} ESMTP Postfix (Debian/GNU)');
    expect(shown.stdout).toMatch(/engine: scripted\n\s+cert: valid[\s\S]*dh: 512/);
  });

  it('a misspelt key, as the section shows it', async () => {
    const project = installedProject();
    writeFiles(project);
    const file = join(project, 'relay-denied.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('" }', '", tims: 2 }'));
    const result = await shell(commands[0]!, project);
    expect(result.code).toBe(2);
    const shown = /\(`(\.\/relay-denied\.yaml:3: [^`]+)`\)/.exec(README)![1];
    expect(result.stderr).toBe(`broken-mta: ${shown}\n`);
  });
});
