// One readable line per event for the terminal; --json prints the event itself instead.
import type { SessionEvent } from './events.js';
import { replyLines } from './smtp/reply.js';

/**
 * `scenario`: name the scenario with the session (`weak-dh#3`), for `serve`, where several
 * run in one process and each numbers its sessions from 1. `port`: the listener's port
 * too (`:2525 weak-dh#3`), for `serve --control`, where a port's scenario changes and
 * sessions are numbered per port.
 */
export function formatEvent(event: SessionEvent, { scenario = false, port }: { scenario?: boolean; port?: number | undefined } = {}): string {
  const session = `${port === undefined ? '' : `:${port} `}${scenario ? event.scenario : ''}#${event.session}`;
  return `${event.time.slice(11, 23)} ${session} ${printable(describe(event))}`;
}

function describe(event: SessionEvent): string {
  switch (event.type) {
    case 'connect':
      return `connect from ${event.remoteAddress}:${event.remotePort}`;
    case 'command':
      return `C: ${event.line}`;
    case 'reply':
      return `S: ${replyLines(event.code, event.text.split('\n')).join(' | ')}`;
    case 'auth':
      return `AUTH ${event.mechanism} credentials for ${event.user || '(no user name)'}`;
    case 'starttls':
      return `STARTTLS begun (${event.engine} TLS)`;
    case 'tls-established': {
      const kx = event.keyExchange ? `, ${event.keyExchange.kind}${event.keyExchange.group ? ` ${event.keyExchange.group}` : ''}${event.keyExchange.bits ? ` ${event.keyExchange.bits} bits` : ''}` : '';
      return `TLS established: ${event.protocol} ${event.cipher}${kx}${event.sni ? `, SNI ${event.sni}` : ''}`;
    }
    case 'tls-hello':
      return `client hello: ${event.version}, offers ${event.offeredVersions.join(', ') || 'no version up to TLSv1.2'}, ${event.suites} cipher suites${event.sni ? `, SNI ${event.sni}` : ''}`;
    case 'tls-stopped':
      return `TLS handshake stopped after ${event.after}: the server says nothing more`;
    case 'tls-failed': {
      const parts = [];
      if (event.clientAlert) parts.push(`client sent alert ${event.clientAlert.code} (${event.clientAlert.name})`);
      if (event.serverAlert) parts.push(`server sent alert ${event.serverAlert.code} (${event.serverAlert.name})`);
      parts.push(event.error);
      return `TLS failed: ${parts.join('; ')}`;
    }
    case 'fault':
      return `fault ${event.fault} at ${event.step}: ${event.detail}`;
    case 'warning':
      return `warning: ${event.text}`;
    case 'limit':
      return `limit ${event.limit}=${event.value} reached: ${event.detail}`;
    case 'message':
      return `message received${event.secure ? ' over TLS' : ''}: from <${event.from}> to ${event.to.map((to) => `<${to}>`).join(', ')}, ${event.size} bytes`;
    case 'close':
      return `closed by the ${event.by} after ${event.durationMs} ms`;
  }
}

/** Binary from a client must not reach the terminal as control characters. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
