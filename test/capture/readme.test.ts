// The README's "Reproduce a customer's server" commands, run exactly as printed. They use
// the fixed ports 2525 and 2526, so they run in a network namespace of their own (as root,
// like the sendmail suite): nothing else on the machine can hold those ports, and nothing
// the commands start outlives the test.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks, installedProject } from '../support/readme.js';

/** Brings the namespace's loopback up (ioctl SIOCGIFFLAGS/SIOCSIFFLAGS: no `ip` needed), then runs the script. */
const LOOPBACK_UP = `import fcntl, os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack('16sH', fcntl.ioctl(s, 0x8913, struct.pack('16sH', b'lo', 0)))[1]
fcntl.ioctl(s, 0x8914, struct.pack('16sH', b'lo', flags | 1))
os.execvp(sys.argv[1], sys.argv[1:])
`;

/**
 * Each command as printed, its output kept apart (N.out, N.code); one ending in & runs in
 * the background, and the next waits until it says it is listening.
 */
function script(commands: string[]): string {
  const lines = ['set -u', 'pids=()', 'trap \'kill "${pids[@]}" 2>/dev/null\' EXIT'];
  commands.forEach((command, index) => {
    const quoted = `'${command.replace(/'/g, `'\\''`)}'`;
    if (command.trimEnd().endsWith('&')) {
      lines.push(`eval ${quoted} > ${index}.out 2>&1`, 'pids+=($!)');
      lines.push(`for _ in $(seq 200); do grep -q "listening on" ${index}.out && break; sleep 0.1; done`);
    } else {
      lines.push(`eval ${quoted} > ${index}.out 2>&1; echo $? > ${index}.code`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/** Runs the commands in a network namespace of their own; resolves with each one's output and exit code. */
async function runInNamespace(commands: string[]): Promise<(pattern: RegExp) => { text: string; code?: number }> {
  const work = installedProject();
  writeFileSync(join(work, 'loopback-up.py'), LOOPBACK_UP);
  writeFileSync(join(work, 'readme.sh'), script(commands));
  const child = spawn('unshare', ['-n', 'python3', 'loopback-up.py', 'bash', 'readme.sh'], { cwd: work, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
  // Whatever the script started is in its process group; the group goes with it.
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  if (code !== 0) throw new Error(`the README's commands did not run (unshare -n needs root): exit ${code}: ${errors}`);
  return (pattern) => {
    const index = commands.findIndex((command) => pattern.test(command));
    const codeFile = join(work, `${index}.code`);
    return { text: readFileSync(join(work, `${index}.out`), 'utf8'), ...(existsSync(codeFile) ? { code: Number(readFileSync(codeFile, 'utf8')) } : {}) };
  };
}

describe("README: Reproduce a customer's server, as printed", () => {
  it('stand-in, capture, the file, the capture served, openssl against it, explain', async () => {
    const [block] = codeBlocks("## Reproduce a customer's server");
    const commands = block!.split('\n').filter((line) => line.trim() && !line.startsWith('#'));
    const output = await runInNamespace(commands);

    expect(output(/--scenario weak-dh --port 2526/).text).toContain('listening on 127.0.0.1:2526 scenario=weak-dh');

    const captured = output(/--out customer\.yaml/);
    expect(captured.code).toBe(0);
    expect(captured.text).toMatch(/^capture: tls1\.2: a TLSv1\.2 hello -> TLSv1\.2 TLS_DHE_RSA_\S+, DH 512 bits \(512\)$/m);
    expect(captured.text).toContain("found: DHE with a 512-bit group, broken-mta's 512 group");

    const file = output(/^cat customer\.yaml/).text;
    expect(file).toContain('tls:\n  engine: scripted\n  dh: 512\n');
    expect(file).toContain('greeting: 220 {hostname} ESMTP Sendmail 8.13.8/8.13.8; {hostname}');

    expect(output(/--scenario customer\.yaml/).text).toMatch(/listening on 127\.0\.0\.1:2525 scenario=captured-127-0-0-1-2526/);
    const openssl = output(/^openssl s_client/);
    expect(openssl.code).not.toBe(0);
    expect(openssl.text).toContain('dh key too small');

    expect(output(/--json --out customer\.json/).code).toBe(0);
    const explained = output(/explain customer\.json/);
    expect(explained.text).toMatch(/^1\. weak-dh: /);
    expect(explained.text).toContain('the same defects: dh:512');
    expect(explained.code).toBe(0);
  }, 120_000);
});
