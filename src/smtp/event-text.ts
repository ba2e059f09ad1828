// What a client sent, as the events keep it: bounded, and without secrets.

const MAX_EVENT_LINE = 512;

/** Events keep what a client sent, but never more than a line's worth of it. */
export function clip(line: string): string {
  return line.length > MAX_EVENT_LINE ? `${line.slice(0, MAX_EVENT_LINE)}… (${line.length} characters)` : line;
}

/** AUTH secrets never reach an event: the mechanism stays, the rest is masked. */
export function redact(name: string, line: string, continuation: boolean): string {
  if (continuation) return '(redacted)';
  if (name === 'AUTH') {
    const [, mechanism, initial] = line.split(/\s+/);
    return `AUTH ${mechanism ?? ''}${initial ? ' (redacted)' : ''}`.trimEnd();
  }
  return line;
}

/** A command line for a `command` event. */
export function commandText(name: string, line: string, continuation: boolean): string {
  return clip(redact(name, line, continuation));
}
