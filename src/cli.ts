#!/usr/bin/env node
// The command line: serve one scenario, list the catalogue, show a page, make the certs.
// Bad input exits 2 with one line; a failure to serve (busy port, bad host) exits 1.
//
// Each command loads what it uses when it runs: `--version`, `list` and `show` start about
// as fast as Node itself (BENCHMARKS.md). Only light modules are imported here, ones that
// load no library but commander (test/cli-startup.test.ts holds the commands to it);
// anything else is `await import()`ed in the action that uses it, as `list` and `show` do
// (scenario-lookup.ts reads a catalogue scenario without the loader).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CaptureFlags } from './capture/command.js';
import type { CertificateCache } from './certs/cache.js';
import type { Target } from './claims/clients.js';
import { DEFAULT_HOST, DEFAULT_HOSTNAME, defaultCertDir } from './defaults.js';
import { makeWritableDir } from './dirs.js';
import { describeMatrix } from './matrix-help.js';
import { DEFAULT_LIMITS } from './limits.js';
import { builtBehaviour, builtScenario, catalogueNames, PACKAGE_ROOT, ScenarioError } from './scenario/catalogue.js';
import { catalogue, namesOf, scenarioOf } from './scenario-lookup.js';
import type { ServeFlags } from './serving.js';
import { sendCommand } from './sender/command.js';
import { dnsCommand } from './dns-command.js';
import { didYouMean } from './suggest.js';
import { UsageError } from './usage-error.js';

/** One naming for the client certificate, wherever it is written. */
const CLIENT_CERT_FILE = 'client-cert.pem';
const CLIENT_KEY_FILE = 'client-key.pem';

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 takes a free one)');
  return port;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1) throw new InvalidArgumentError('a whole number, 1 or more');
  return count;
}

const program = new Command();
program
  .name('broken-mta')
  // Before any command is added, since commands inherit both: every usage error, commander's
  // own included, is one line and exits 2.
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(oneLine(text)) })
  .description(
    'A fake SMTP server that plays known-bad mail servers on purpose.\n' +
      'Point a mail client or MTA at it to see the failure your production logs show,\n' +
      'then prove that your fix delivers. Nothing it receives is ever relayed.',
  )
  .version(packageVersion())
  .option('-s, --scenario <name|file>', 'the scenario to serve: a catalogue name (see `list`) or a path to a .yaml file')
  .option('--host <address>', 'address to listen on (anything but loopback is reachable from other machines)', DEFAULT_HOST)
  .option('-p, --port <port>', 'port to listen on; 0 takes a free port and prints it', parsePort, 2525)
  .option('--hostname <name>', 'the server name in the banner and in certificates', DEFAULT_HOSTNAME)
  .option('--json', 'print events as JSON lines instead of text')
  .option('--certs <dir>', 'certificate cache folder (default: $BROKEN_MTA_CERTS, else $XDG_CACHE_HOME/broken-mta, else ~/.cache/broken-mta)')
  .option('--store <dir>', 'write every message received to DIR (.eml files and messages.jsonl)')
  .option('--max-messages <n>', 'messages kept in memory (oldest dropped first)', parseCount, DEFAULT_LIMITS.maxMessages)
  .option('--max-connections <n>', 'sessions at once; beyond, 421', parseCount, DEFAULT_LIMITS.maxConnections)
  .option('--max-message-size <bytes>', 'largest message (advertised as SIZE); beyond, 552', parseCount, DEFAULT_LIMITS.maxMessageBytes)
  .option('--idle-timeout <ms>', 'a session idle this long gets 421 and is closed', parseCount, DEFAULT_LIMITS.idleTimeoutMs)
  .option('--max-line-length <bytes>', 'longest command line, CRLF included; beyond, 500 and the line is dropped', parseCount, DEFAULT_LIMITS.maxLineBytes)
  .option('--max-recipients <n>', 'recipients in one message; beyond, 452', parseCount, DEFAULT_LIMITS.maxRecipients)
  .option('--max-connections-per-client <n>', 'sessions at once from one client address; beyond, 421', parseCount, DEFAULT_LIMITS.maxConnectionsPerClient)
  .option('--max-session-time <ms>', 'a session open this long gets 421 and is closed, busy or not', parseCount, DEFAULT_LIMITS.maxSessionMs)
  .option('--tls-handshake-timeout <ms>', 'a TLS handshake not finished this long after it began: the session is closed', parseCount, DEFAULT_LIMITS.tlsHandshakeTimeoutMs)
  .option('--exit-on-stdin-close', 'stop (as on SIGTERM) when stdin ends: give it a pipe, and it stops when the program that started it exits, however it exits')
  .addHelpText(
    'after',
    '\nExamples:\n' +
      '  broken-mta --scenario weak-dh                serve on 127.0.0.1:2525\n' +
      '  broken-mta --scenario ./my.yaml --port 0     a scenario file, on a free port\n' +
      '  broken-mta list                              the catalogue\n' +
      '  broken-mta show groupwise-450                what it imitates, symptoms, fixes\n' +
      '  broken-mta explain "<a line from your log>"  the scenarios that reproduce it\n' +
      '  broken-mta certs                             make the certificates, print the test CA path\n',
  )
  .action(async (options: ServeFlags & { scenario?: string; port: number }, command: Command) => {
    const [word] = command.args;
    if (word !== undefined) throw new UsageError(unknownCommand(word));
    if (!options.scenario) throw new UsageError('no scenario given: use --scenario NAME (`broken-mta list` shows the catalogue, `broken-mta --help` the rest)');
    await serve(options.scenario, options);
  });

program
  .command('list')
  .description('the catalogue: one scenario a line, name and summary')
  .option('--senders', 'the broken senders instead, for `broken-mta send`')
  .action(async (options: { senders?: boolean }) => {
    if (options.senders) return console.log((await import('./sender/page.js')).senderList());
    process.stderr.write('(the broken senders, for `broken-mta send`: broken-mta list --senders)\n');
    const scenarios = await catalogue();
    const width = Math.max(...scenarios.map((s) => s.name.length));
    for (const { name, summary } of scenarios) console.log(`${name.padEnd(width)}  ${summary}`);
  });

program
  .command('show')
  .description('one scenario in full: what it imitates, what clients print (each with the command that shows it), how to fix it')
  .argument('<name|file>', 'a catalogue name or a scenario file')
  .action(async (reference: string) => {
    // A catalogue scenario is not a sender (theirs are named sender-*): only anything else may be one.
    if (!builtScenario(reference)) {
      const senders = await import('./sender/page.js');
      if (senders.isSenderReference(reference)) return console.log(senders.showSender(reference));
    }
    const flags = program.opts<ServeFlags & { port: number }>();
    const scenario = await scenarioOf(reference);
    const [{ renderClaims, symptomsHeading }, target] = await Promise.all([import('./claims/page.js'), showTarget(flags)]);
    const behaviour = builtBehaviour(reference) ?? (await import('./scenario/behaviour.js')).behaviourYaml(scenario);
    const serve = `broken-mta --scenario ${reference}${flags.port === 2525 ? '' : ` --port ${flags.port}`}`;
    // A user's own file may have only its behaviour: the page shows what there is.
    const out: string[] = [scenario.summary ? `${scenario.name}: ${scenario.summary}` : scenario.name];
    if (scenario.imitates) out.push('', `Imitates: ${scenario.imitates}`);
    if (scenario.symptoms.length) out.push('', symptomsHeading(scenario, serve), ...renderClaims(scenario, target));
    if (scenario.fixes.length) out.push('', 'Fixes:', ...scenario.fixes.map((fix) => `  - ${fix}`));
    out.push('', 'Behaviour:', ...behaviour.trimEnd().split('\n').map((line) => `  ${line}`));
    console.log(out.join('\n'));
  });

/** Where `show` points its commands: the server `broken-mta --scenario` starts, and its test CA. */
async function showTarget(flags: ServeFlags & { port: number }): Promise<Target> {
  const { CertificateCache } = await import('./certs/cache.js');
  const dir = flags.certs ?? defaultCertDir();
  // A server on every address is reached on loopback.
  const host = flags.host === '0.0.0.0' || flags.host === '::' ? '127.0.0.1' : flags.host;
  return {
    host,
    port: String(flags.port),
    ca: new CertificateCache(dir, flags.hostname).caFile,
    hostname: flags.hostname,
    // Where `broken-mta certs --client` writes them.
    clientCert: join(dir, CLIENT_CERT_FILE),
    clientKey: join(dir, CLIENT_KEY_FILE),
    retiredRoot: join(dir, 'retired-root.pem'),
    // The running server prints where its CRL is; the claim's hint says how to fetch it.
    crl: 'crl.pem',
  };
}

program
  .command('explain')
  .description("the scenarios that reproduce a line your MTA or client logged (or your MTA logged receiving from a broken sender), best first")
  .argument('<log line>', 'the line, quoted, as the log has it')
  .option('-n, --count <n>', 'how many scenarios to show', parseCount, 3)
  .addHelpText('after', '\nExample:\n  broken-mta explain "STARTTLS=client, error: connect failed=-1, reason=dh key too small, SSL_error=1"\n')
  .action(async (line: string, options: { count: number }) => {
    const [{ explainCapture, readCapturedFindings }, { explain }, { explanationLines }, { loadSenderScenario, senderCatalogueNames }] = await Promise.all([
      import('./capture/command.js'),
      import('./explain.js'),
      import('./explain-report.js'),
      import('./scenario/sender-load.js'),
    ]);
    const captured = readCapturedFindings(line);
    if (captured) return void (process.exitCode = explainCapture(captured, options.count));
    const senders = senderCatalogueNames().map((name) => loadSenderScenario(name).scenario);
    const found = explain(line, await catalogue(), options.count, senders);
    if (!found.matches.length) {
      // Like grep: nothing found is an answer (exit 1), not bad input.
      process.stderr.write("broken-mta: no scenario's symptoms share a telling word with that line; `broken-mta list` shows the catalogue\n");
      process.exitCode = 1;
      return;
    }
    if (found.tied > 1) console.log(`${found.tied} scenarios match this line equally well: it does not tell them apart.`);
    const target = await showTarget(program.opts<ServeFlags & { port: number }>());
    for (const [index, match] of found.matches.entries()) console.log(explanationLines(match, index, target).join('\n'));
  });

program
  .command('serve')
  .description('serve several scenarios at once, each on its own port, and print the port map as JSON')
  .option('--all', 'every scenario in the catalogue')
  .option('--scenarios <names>', 'a comma-separated list of names or files')
  .option('--base-port <port>', 'the first port; the others follow it in order (0: each takes a free port)', parsePort, 2525)
  .option('--ports-file <file>', 'also write the port map to FILE')
  .option('--control [address]', 'also serve the control API (HTTP, JSON) on [HOST:]PORT, 127.0.0.1:8025 if not given (0: a free port); with it, --all and --scenarios are optional')
  .addOption(new Option('--control-token <token>', 'require Authorization: Bearer TOKEN of every control request; needed for a HOST beyond loopback').env('BROKEN_MTA_CONTROL_TOKEN'))
  // The server's options are the top level's, taken before or after `serve`: its help lists them.
  .configureHelp({ showGlobalOptions: true, visibleGlobalOptions: () => program.options.filter((option) => !ONE_SCENARIO_ONLY.includes(option.long ?? '')) })
  .addHelpText(
    'after',
    '\nText lines name the scenario and its session (weak-dh#3); --json events carry both.\n' +
      'With --control, the port map names the control URL too, and lines name the port (:2525 weak-dh#3);\n' +
      'GET /openapi.json describes the API.\n',
  )
  .action(async (options: { all?: boolean; scenarios?: string; basePort: number; portsFile?: string; control?: string | true; controlToken?: string }) => {
    const flags = program.opts<ServeFlags>();
    const { parseControlAddress, runUntilStopped, servingScenarios, startAll, startControlled } = await import('./serving.js');
    const control = options.control === undefined ? undefined : { address: parseControlAddress(options.control), token: options.controlToken };
    if (options.all && options.scenarios) throw new UsageError('serve takes either --all or --scenarios a,b,c, not both');
    if (!control && !options.all && !options.scenarios) throw new UsageError('serve takes either --all or --scenarios a,b,c (or --control, with listeners started over HTTP)');
    const references = options.all ? catalogueNames() : (options.scenarios ?? '').split(',').map((name) => name.trim()).filter(Boolean);
    // A scenario's name and session number say which session a line is about: one name, one server.
    const names = await namesOf(references);
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice) throw new UsageError(`serve: the scenario "${twice}" is given twice; each runs once, on a port of its own`);
    const plan = references.map((reference, index) => ({ reference, port: options.basePort === 0 ? 0 : options.basePort + index }));
    if (control) {
      const started = await startControlled(plan, flags, control);
      await printPortMap({ host: flags.host, ports: started.ports, control: started.control.url }, options.portsFile);
      return runUntilStopped(started.serving, flags);
    }
    const running = await startAll(plan, flags, '--base-port');
    await printPortMap({ host: flags.host, ports: Object.fromEntries(running.map((server) => [server.scenario.name, server.port])) }, options.portsFile);
    runUntilStopped(servingScenarios(running), flags, { scenario: running.length > 1 });
  });

async function printPortMap(map: { host: string; ports: Record<string, number>; control?: string }, portsFile: string | undefined): Promise<void> {
  const text = JSON.stringify(map);
  if (portsFile) (await import('./certs/cache.js')).writeAtomically(portsFile, text + '\n', 0o644);
  console.log(text);
}

program
  .command('matrix')
  .description('run any client command against each scenario and report what happened; with expectations, pass or fail')
  .argument('<command...>', 'after --: the client command; {host} {port} {scenario} {ca} are filled in')
  .option('--scenarios <names>', 'a comma-separated list (default: the whole catalogue)')
  .option('--expect <file>', 'YAML keyed by scenario name: what your client should show there (as a scenario page\'s claims, without client)')
  .option('--client <kind>', "hold each row to the catalogue's claims for a client kind")
  .option('--junit <file>', 'also write the results as JUnit XML')
  .option('--timeout <ms>', 'how long one client run may take; a server session may idle half of it', parseCount, 20_000)
  .option('--jobs <n>', 'how many scenarios run at once, each on its own port', parseCount, 1)
  .action(async (command: string[], options: { scenarios?: string; expect?: string; client?: string; junit?: string; timeout: number; jobs: number }) => {
    const flags = program.opts<ServeFlags>();
    const [{ catalogueExpectations, runMatrix }, { formatJUnit, formatTable }, { loadExpectFile }, { writeAtomically }, { CLIENT_NAMES, clientKind }] = await Promise.all([
      import('./matrix.js'),
      import('./matrix-report.js'),
      import('./claims/expect-file.js'),
      import('./certs/cache.js'),
      import('./claims/clients.js'),
    ]);
    if (options.client && options.expect) throw new UsageError('give --expect FILE or --client KIND, not both');
    const kind = options.client ? clientKind(options.client) : undefined;
    if (options.client && !kind) throw new UsageError(`--client: "${options.client}" is not a client the catalogue has claims for (${CLIENT_NAMES.join(', ')})`);
    if (kind?.hasLog && !kind.logPrinter) throw new UsageError(`--client ${kind.name}: its claims quote its own log, which matrix does not read; examples/sendmail/run.sh runs sendmail over the catalogue`);
    const scenarios = options.scenarios ? options.scenarios.split(',').map((name) => name.trim()).filter(Boolean) : catalogueNames();
    const names = await namesOf(scenarios);
    const expected = options.expect ? loadExpectFile(options.expect, names) : undefined;
    const rows = await runMatrix(scenarios, {
      command,
      expectations: expected ? (scenario) => expected.get(scenario.name) : options.client ? catalogueExpectations(options.client) : undefined,
      timeoutMs: options.timeout,
      jobs: options.jobs,
      // An MTA's claims quote its log: the command prints it (the kind's logPrinter).
      outputIsLog: Boolean(kind?.logPrinter),
      host: flags.host,
      hostname: flags.hostname,
      ...(flags.certs ? { certDir: flags.certs } : {}),
      onProgress: (row, done, total) => process.stderr.write(`[${done}/${total}] ${row.scenario}: ${row.verdict} (${row.durationMs} ms)\n`),
    });
    console.log(formatTable(rows));
    if (options.junit) writeAtomically(options.junit, formatJUnit(rows, options.client ?? basename(command[0]!)), 0o644);
    if (rows.some((row) => row.verdict === 'fail')) process.exitCode = 1;
  });

program
  .command('certs')
  .description('make the certificates (once; they are cached) and print the test CA file: what a client must trust')
  .option('--certs <dir>', 'certificate cache folder (default: $BROKEN_MTA_CERTS, else $XDG_CACHE_HOME/broken-mta, else ~/.cache/broken-mta)')
  .option('--hostname <name>', 'the server name the certificates carry', DEFAULT_HOSTNAME)
  .option('--client', `print the paths of a client certificate and its key, signed by the test CA (${CLIENT_CERT_FILE}, ${CLIENT_KEY_FILE})`)
  .option('--export <dir>', `write the test CA, the intermediate, the retired root, ${CLIENT_CERT_FILE} and ${CLIENT_KEY_FILE} to DIR`)
  .action(async (options: { certs?: string; hostname: string; client?: boolean; export?: string }) => {
    const { CertificateCache, writeAtomically } = await import('./certs/cache.js');
    const cache = new CertificateCache(options.certs ?? program.opts().certs ?? defaultCertDir(), options.hostname);
    // Checked before any certificate is made.
    if (options.export) makeWritableDir(options.export, '--export');
    await makeMissingCertificates(cache);
    const client = await cache.get('client');
    // The bundle holds key and certificate; clients want them apart.
    const writeClient = (dir: string) => {
      writeAtomically(join(dir, CLIENT_CERT_FILE), client.chain, 0o644);
      writeAtomically(join(dir, CLIENT_KEY_FILE), client.key, 0o600);
    };
    if (options.export) {
      writeAtomically(join(options.export, 'test-ca.pem'), readFileSync(cache.caFile, 'utf8'), 0o644);
      writeAtomically(join(options.export, 'test-intermediate.pem'), readFileSync(cache.authorityFile('test-intermediate'), 'utf8'), 0o644);
      // For a client that still trusts the retired root (expired-cross-root).
      writeAtomically(join(options.export, 'retired-root.pem'), readFileSync(cache.authorityFile('retired-root'), 'utf8'), 0o644);
      writeClient(options.export);
      console.log(resolve(options.export));
      return;
    }
    if (options.client) {
      const dir = dirname(client.file);
      writeClient(dir);
      console.log(join(dir, CLIENT_CERT_FILE));
      console.log(join(dir, CLIENT_KEY_FILE));
      return;
    }
    console.log(cache.caFile);
  });

program
  .command('capture')
  .description("probe a real SMTP server once and write a scenario that makes the same clients fail the same way")
  .argument('<host[:port]>', 'the server to probe (port 25, or 465 with --implicit); nothing else is contacted')
  .option('-o, --out <file>', 'write the scenario (with --json: the findings) to FILE instead of stdout')
  .option('--implicit', 'TLS from the first byte (port 465 style) instead of STARTTLS')
  .option('--starttls', 'send STARTTLS even when EHLO does not advertise it, and probe TLS if it gets 220', true)
  .option('--no-starttls', 'never send STARTTLS: capture the SMTP side only')
  .option('--helo <name>', 'the name sent with EHLO and HELO', hostname())
  .option('--servername <name>', 'the name sent as SNI and checked against the certificate (default: the host, if it is a name)')
  .option('--timeout <ms>', 'how long each probe (one connection) may take', parseCount, 10_000)
  .option('--ca <file>', "trust this CA besides the system's (a private CA; or `broken-mta certs` for broken-mta's own scenarios)")
  .option('--keep-hostnames', "keep the server's own host names in the banner instead of {hostname}")
  .option('--json', 'print the findings as JSON instead of a scenario (`explain` reads them)')
  .addHelpText(
    'after',
    '\nExamples:\n' +
      '  broken-mta capture mx.example.com --out example.yaml   probe port 25, write the scenario\n' +
      '  broken-mta --scenario example.yaml                     serve it on 127.0.0.1:2525\n' +
      '  broken-mta capture mail.example.com:465 --implicit     a port-465 server\n' +
      '  broken-mta capture mx.example.com --json > mx.json     the findings; `broken-mta explain mx.json`\n',
  )
  .action(async (target: string, options: CaptureFlags) => {
    // The serving options' --json is the program's, and commander gives it the flag first.
    const json = options.json ?? program.opts<{ json?: boolean }>().json;
    const { runCapture } = await import('./capture/command.js');
    process.exitCode = await runCapture(target, { ...options, ...(json ? { json } : {}) });
  });

sendCommand(program);
dnsCommand(program);

/** Progress on stderr only while certificates are being made: stdout is for `$(broken-mta certs)`. */
async function makeMissingCertificates(cache: CertificateCache): Promise<void> {
  const missing = cache.missing();
  if (missing.length === 0) return;
  const started = Date.now();
  process.stderr.write(`making ${missing.length} certificates in ${cache.dir}\n`);
  await cache.prepareAll();
  for (const profile of missing) {
    const at = Date.now();
    await cache.get(profile);
    process.stderr.write(`${profile}: generated in ${Date.now() - at} ms\n`);
  }
  process.stderr.write(`ready in ${Date.now() - started} ms\n`);
}

// After the commands, so that only the top level takes words it does not know: they are
// misspelt commands (or a scenario without --scenario), which deserve better than
// "too many arguments".
program.allowExcessArguments();

function unknownCommand(word: string): string {
  if (catalogueNames().includes(word)) return `"${word}" is a scenario: serve it with --scenario ${word}`;
  const commands = program.commands.map((command) => command.name());
  return `unknown command "${word}"${didYouMean(word, commands)}: the commands are ${commands.join(', ')}, and --scenario NAME serves one`;
}

/** Commander puts its "Did you mean" on a line of its own. */
function oneLine(text: string): string {
  return text.replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)').trimEnd() + '\n';
}

/** The top level's options that only serving one scenario takes. */
const ONE_SCENARIO_ONLY = ['--scenario', '--port', '--version'];

async function serve(reference: string, flags: ServeFlags & { port: number }): Promise<void> {
  const { runUntilStopped, servingScenarios, startAll } = await import('./serving.js');
  const [running] = await startAll([{ reference, port: flags.port }], flags, '--port');
  const { host, port, scenario, crlUrl } = running!;
  console.log(flags.json ? JSON.stringify({ type: 'listening', host, port, scenario: scenario.name, ...(crlUrl ? { crlUrl } : {}) }) : `listening on ${host}:${port} scenario=${scenario.name}`);
  runUntilStopped(servingScenarios([running!]), flags, { scenario: false });
}
program.hook('preSubcommand', async (_program, command) => {
  if (command.name() === 'matrix') await describeMatrix(command);
});
try {
  await program.parseAsync(process.argv);
} catch (error) {
  const commanderCode = (error as { code?: string }).code ?? '';
  if (commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version' || commanderCode === 'commander.help') process.exit(0);
  if (commanderCode.startsWith('commander.')) process.exit(2); // commander printed its own line
  // CaptureUsageError is a UsageError.
  const bad = error instanceof ScenarioError || error instanceof UsageError;
  // A scenario file may have several problems, one a line: each line says whose it is.
  process.stderr.write((error as Error).message.split('\n').map((line) => `broken-mta: ${line}\n`).join(''));
  process.exit(bad ? 2 : 1);
}
