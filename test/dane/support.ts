// What the DANE suites share: whether they can run here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SKIP_DANE = process.env.BROKEN_MTA_NO_DANE === '1';

const PROGRAMS: Record<string, string> = { knotd: 'knot', keymgr: 'knot', knotc: 'knot', kdig: 'knot-dnsutils', unbound: 'unbound' };

/** Why the DANE suites cannot run here, or undefined. */
export function daneMissing(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  const missing = Object.entries(PROGRAMS)
    .filter(([program]) => !dirs.some((dir) => dir && existsSync(join(dir, program))))
    .map(([program, pkg]) => `${program} (package ${pkg})`);
  if (process.getuid?.() !== 0) missing.push('root (unbound on port 53, MX listeners on port 25)');
  return missing.length ? `the DANE suite needs ${missing.join(', ')}; or set BROKEN_MTA_NO_DANE=1 to skip it on purpose` : undefined;
}
