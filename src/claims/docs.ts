// The README's tables about claims, made from the code they describe (a test keeps the
// README equal to them): the catalogue's default invocation of each client, and the
// settings a claim's `with` may name.
import { CLIENT_KINDS, invocationLines, PLACEHOLDERS, shellWord } from './clients.js';
import { SETTING_NAMES, settingsSchema } from './settings.js';

/** A shell block: each client's default command, as `matrix` takes it after `--`. */
export function invocationBlock(): string {
  const lines = CLIENT_KINDS.flatMap((kind) => {
    const invocation = kind.invoke({}, PLACEHOLDERS, 1);
    const command = invocation.kind === 'command' ? invocation.argv.map(shellWord).join(' ') : invocationLines(invocation).join('\n');
    return [`# ${kind.name}`, command];
  });
  return ['```sh', ...lines, '```'].join('\n');
}

export function settingsTable(): string {
  const rows = SETTING_NAMES.map((name) => {
    const takers = CLIENT_KINDS.filter((kind) => kind.settings.includes(name)).map((kind) =>
      name === 'tls' && kind.tlsModes.length < 4 ? `${kind.name} (${kind.tlsModes.join(', ')})` : kind.name,
    );
    return `| \`${name}\` | ${settingsSchema.shape[name].description ?? ''} | ${takers.join(', ')} |`;
  });
  return ['| setting | what it asks of the client | clients that take it |', '| --- | --- | --- |', ...rows].join('\n');
}
