// The package as npm hands it to a user: packed, installed elsewhere, with its licence.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './support/clients.js';
import { tempDir } from './support/temp.js';

const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string; scripts: Record<string, string> };

describe('the package', () => {
  it('has the MIT licence its package.json names', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  });

  it('builds when packed and when a checkout is installed, with no script npm counts as a dependency\'s install script', () => {
    // npm warns about these when the tarball is installed ("install scripts not yet covered by allowScripts").
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts).not.toHaveProperty(script);
    expect(pkg.scripts.prepack).toBe('npm run build');
    // Run by `npm install` and `npm ci` in the checkout only, so a fresh clone has dist/.
    expect(pkg.scripts.postprepare).toBe('npm run build');
  });

  it('git ignores the JUnit files the matrix examples write', () => {
    expect(execFileSync('git', ['check-ignore', 'matrix-swaks.xml', 'matrix-openssl.xml'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('the packed tarball installs elsewhere without a warning, and its bin runs', async () => {
    const work = tempDir('pack');
    // dist/ is fresh (pretest built it): packing need not build again.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, timeoutMs: 30_000 });
    expect(packed.code, packed.output).toBe(0);
    const tarball = readdirSync(work).find((file) => file.endsWith('.tgz'))!;
    const project = join(work, 'project');
    execFileSync('mkdir', [project]);
    execFileSync('npm', ['init', '-y'], { cwd: project, stdio: 'ignore' });
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)], { cwd: project, timeoutMs: 60_000 });
    expect(installed.code, installed.output).toBe(0);
    expect(installed.output).not.toMatch(/warn/i);
    const list = await run(join(project, 'node_modules', '.bin', 'broken-mta'), ['list'], { cwd: project });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^weak-dh +DHE/m);
    expect(readdirSync(join(project, 'node_modules', 'broken-mta'))).toContain('LICENSE');
  }, 90_000);
});
