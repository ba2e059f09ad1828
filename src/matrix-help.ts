// matrix's help text: the client kinds and a swaks example come from the claims registry,
// which cli.ts loads only when `matrix` is the command (preSubcommand), so that other
// commands start without it.
import type { Command } from 'commander';

/** matrix's help: its clients and examples come from the registry, loaded only for `matrix`. */
export async function describeMatrix(matrix: Command): Promise<void> {
  const { CLIENT_NAMES, clientKind, PLACEHOLDERS } = await import('./claims/clients.js');
  const swaks = clientKind('swaks')!.invoke({}, PLACEHOLDERS, 1);
  const examples = [
    ['broken-mta matrix --scenarios good,expired-cert,groupwise-450 -- python3 examples/matrix/smtplib_client.py {host} {port} {ca}', 'what your client does, scenario by scenario'],
    [
      'broken-mta matrix --jobs 4 --expect examples/matrix/smtplib.expect.yaml --junit matrix-smtplib.xml -- python3 examples/matrix/smtplib_client.py {host} {port} {ca}',
      'the whole catalogue, held to your own expectations: exit 1 on a change',
    ],
    [`broken-mta matrix --client swaks --scenarios good,weak-dh,greylist -- ${swaks.kind === 'command' ? swaks.argv.join(' ') : ''}`, "held to the catalogue's claims for swaks, run its default way"],
  ];
  const client = matrix.options.find((option) => option.long === '--client')!;
  client.description = `hold each row to the catalogue's claims for ${CLIENT_NAMES.join(', ')}, run the catalogue's default way (README); for postfix and exim the command prints what the MTA logged (examples/postfix/run.sh --to {host}:{port} main.cf)`;
  matrix.addHelpText('after', `\nWithout --expect or --client each row says what was observed, and the run exits 0.\n\nExamples (from a checkout of broken-mta):\n${examples.map(([command, what]) => `  ${command}\n      ${what}`).join('\n')}\n`);
}
