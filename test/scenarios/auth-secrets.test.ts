// AUTH secrets never reach broken-mta's events, its text log or --store: only the mechanism
// and the user name do. Each mechanism is driven by a real client (nodemailer's PLAIN, LOGIN
// and XOAUTH2, smtplib's LOGIN with an initial response, swaks' PLAIN), accepted and refused.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTH_SECRET, AUTH_USER, clientKind, commandLine, type Target } from '../../src/claims/clients.js';
import type { Settings } from '../../src/claims/settings.js';
import { runShell } from '../../src/claims/run.js';
import { formatEvent } from '../../src/format.js';
import { DEFAULT_HOSTNAME, startScenario, type ScenarioInput } from '../../src/index.js';
import { tempDir } from '../support/temp.js';

/** Every way the secret could be written: as it is, and base64 as each mechanism sends it. */
const FORMS = [
  AUTH_SECRET,
  Buffer.from(AUTH_SECRET).toString('base64'),
  Buffer.from(`\0${AUTH_USER}\0${AUTH_SECRET}`).toString('base64'),
  Buffer.from(`user=${AUTH_USER}\x01auth=Bearer ${AUTH_SECRET}\x01\x01`).toString('base64'),
];

const accepting: ScenarioInput = {
  name: 'auth-accepting',
  smtp: { auth: { mechanisms: ['PLAIN', 'LOGIN', 'XOAUTH2'] } },
  tls: { cert: 'valid' },
};

async function sendWith(scenario: ScenarioInput | string, client: string, settings: Settings): Promise<{ logged: string; stored: string; output: string }> {
  const store = tempDir('auth-store');
  const mta = await startScenario(scenario, { store, limits: { idleTimeoutMs: 5000 } });
  try {
    const target: Target = { host: mta.host, port: String(mta.port), ca: mta.caFile, hostname: DEFAULT_HOSTNAME, clientCert: '', clientKey: '' };
    const invocation = clientKind(client)!.invoke(settings, target, 1);
    if (invocation.kind !== 'command') throw new Error('a command client');
    const result = await runShell(commandLine(invocation), invocation.timeoutMs);
    await mta.waitFor((event) => event.type === 'close');
    const logged = mta.events.map((event) => `${JSON.stringify(event)}\n${formatEvent(event)}`).join('\n');
    await mta.close();
    const stored = readdirSync(store)
      .map((file) => readFileSync(join(store, file), 'latin1'))
      .join('\n');
    return { logged, stored, output: result.output };
  } finally {
    await mta.close();
  }
}

const expectNoSecret = (text: string) => {
  for (const form of FORMS) expect(text).not.toContain(form);
};

describe('AUTH secrets are never written', () => {
  it.each([
    ['nodemailer', 'PLAIN'],
    ['nodemailer', 'LOGIN'],
    ['nodemailer', 'XOAUTH2'],
    ['swaks', 'PLAIN'],
    ['smtplib', 'LOGIN'],
  ] as const)('%s with AUTH %s: accepted, the message stored; events, text log and store hold the user name, not the secret', async (client, mechanism) => {
    const { logged, stored, output } = await sendWith(accepting, client, { auth: mechanism });
    expect(logged).toContain(`AUTH ${mechanism} credentials for ${AUTH_USER}`);
    expect(logged).toContain('"type":"message"');
    expect(stored).toContain(`From: ${AUTH_USER}`);
    expectNoSecret(logged);
    expectNoSecret(stored);
    // swaks prints what it sends: the secret did go over the wire, and was not written.
    if (client === 'swaks') expect(output).toContain(FORMS[2]);
  });

  it.each([
    ['auth-xoauth2-error', 'nodemailer', 'XOAUTH2'],
    ['auth-bad-credentials-535', 'nodemailer', 'LOGIN'],
    ['auth-login-initial-response', 'smtplib', 'LOGIN'],
  ] as const)('%s, %s with AUTH %s: refused, and nothing of the secret is written', async (scenario, client, mechanism) => {
    const { logged, stored } = await sendWith(scenario, client, { auth: mechanism });
    expect(logged).toContain(`AUTH ${mechanism} credentials for `);
    expect(logged).not.toContain('"type":"message"');
    expectNoSecret(logged);
    expectNoSecret(stored);
  });

  it('a user name that is the password itself (smtplib answering a second "Username:") is not logged either', async () => {
    const { logged } = await sendWith('auth-login-initial-response', 'smtplib', { auth: 'LOGIN' });
    expect(logged).toContain('AUTH LOGIN credentials for (the secret itself: redacted)');
  });
});
