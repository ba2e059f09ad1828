// Exim through examples/exim/run.sh: Debian's macros and transport options.
import { type ClientKind, recipients } from '../kind.js';

const EXIM_TLS = { none: 'REMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS = *', required: 'REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *' } as const;

export const exim: ClientKind = {
  name: 'exim',
  program: 'exim4',
  settings: ['tls', 'verify', 'dhBits', 'timeout', 'to', 'messageBytes'],
  // Implicit TLS is a transport of its own (protocol = smtps), not one message's.
  tlsModes: ['none', 'optional', 'required'],
  hasLog: true,
  logPrinter: 'examples/exim/run.sh --to {host}:{port} /etc/exim4',
  invoke(settings, target) {
    const macros: string[] = [];
    const options: string[] = [];
    if (settings.tls === 'none' || settings.tls === 'required') macros.push(EXIM_TLS[settings.tls]);
    // Debian's smarthost transport verifies (tls_verify_hosts = *); false verifies nobody.
    if (settings.verify === false) macros.push('REMOTE_SMTP_SMARTHOST_TLS_VERIFY_HOSTS =');
    if (settings.dhBits) macros.push(`TLS_DH_MIN_BITS = ${settings.dhBits}`);
    if (settings.timeout) for (const stage of ['command', 'data', 'final']) options.push(`${stage}_timeout = ${settings.timeout}s`);
    return {
      kind: 'exim',
      // Exim checks the certificate against this name; an address fails every certificate.
      smarthost: `${target.hostname}::${target.port}`,
      macros,
      options,
      to: recipients(settings),
      ...(settings.messageBytes ? { bodyBytes: settings.messageBytes } : {}),
      timeoutMs: 60_000,
    };
  },
};
