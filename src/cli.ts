#!/usr/bin/env node
// The command line: serve one scenario, list the catalogue, show a page, make the certs.
// Bad input exits 2 with one line; a failure to serve (busy port, bad host) exits 1.
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';
import { CertificateCache, writeAtomically } from './certs/cache.js';
import { CERT_PROFILE_NAMES, CERT_PROFILES, madeWhenServed } from './certs/profiles.js';
import { makeWritableDir } from './dirs.js';
import { explain } from './explain.js';
import { formatEvent } from './format.js';
import { DEFAULT_HOST, DEFAULT_HOSTNAME, DEFAULT_LIMITS, defaultCertDir, listScenarios, loadScenario, startScenario, type RunningScenario } from './index.js';
import { formatJUnit, formatTable, runMatrix } from './matrix.js';
import { catalogueNames, ScenarioError } from './scenario/load.js';
import { CLIENTS } from './scenario/schema.js';

class UsageError extends Error {}

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

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

const program = new Command();
program
  .name('broken-mta')
  .description(
    'A fake SMTP server that plays known-bad mail servers on purpose.\n' +
      'Point a mail client or MTA at it to see the failure your production logs show,\n' +
      'then prove that your fix delivers. Nothing it receives is ever relayed.',
  )
  .version('0.1.0')
  .option('-s, --scenario <name|file>', 'the scenario to serve: a catalogue name (see `list`) or a path to a .yaml file')
  .option('--host <address>', 'address to listen on (anything but loopback is reachable from other machines)', DEFAULT_HOST)
  .option('-p, --port <port>', 'port to listen on; 0 takes a free port and prints it', parsePort, 2525)
  .option('--hostname <name>', 'the server name in the banner and in certificates', DEFAULT_HOSTNAME)
  .option('--json', 'print events as JSON lines instead of text')
  .option('--certs <dir>', 'certificate cache folder (default: $BROKEN_MTA_CERTS or the package certs/)')
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
  .action(async (options: ServeFlags & { scenario?: string; port: number }) => {
    if (!options.scenario) {
      program.outputHelp({ error: true });
      throw new UsageError('no scenario given: use --scenario NAME (see `broken-mta list`)');
    }
    await serve(options.scenario, options);
  });

program
  .command('list')
  .description('the catalogue: one scenario a line, name and summary')
  .action(() => {
    const scenarios = listScenarios();
    const width = Math.max(...scenarios.map((s) => s.name.length));
    for (const { name, summary } of scenarios) console.log(`${name.padEnd(width)}  ${summary}`);
  });

program
  .command('show')
  .description('one scenario in full: what it imitates, what clients print, how to fix it')
  .argument('<name|file>', 'a catalogue name or a scenario file')
  .action((reference: string) => {
    const scenario = loadScenario(reference);
    const out: string[] = [`${scenario.name}: ${scenario.summary}`, '', `Imitates: ${scenario.imitates}`, '', 'Symptoms:'];
    for (const symptom of scenario.symptoms) {
      out.push(`  ${'client' in symptom ? symptom.client : 'server'}: ${symptom.text}`);
    }
    out.push('', 'Fixes:', ...scenario.fixes.map((fix) => `  - ${fix}`));
    const { name: _n, summary: _s, imitates: _i, symptoms: _y, fixes: _f, ...behaviour } = scenario;
    out.push('', 'Behaviour:', ...stringify(behaviour, { lineWidth: 0 }).trimEnd().split('\n').map((line) => `  ${line}`));
    console.log(out.join('\n'));
  });

program
  .command('explain')
  .description("the scenarios that reproduce a line your MTA or client logged, best first")
  .argument('<log line>', 'the line, quoted, as the log has it')
  .option('-n, --count <n>', 'how many scenarios to show', parseCount, 3)
  .addHelpText('after', '\nExample:\n  broken-mta explain "STARTTLS=client, error: connect failed=-1, reason=dh key too small, SSL_error=1"\n')
  .action((line: string, options: { count: number }) => {
    const found = explain(line, catalogueNames().map((name) => loadScenario(name)), options.count);
    if (!found.length) {
      // Like grep: nothing found is an answer (exit 1), not bad input.
      process.stderr.write("broken-mta: no scenario's symptoms share a telling word with that line; `broken-mta list` shows the catalogue\n");
      process.exitCode = 1;
      return;
    }
    for (const [index, match] of found.entries()) {
      console.log(`${index + 1}. ${match.scenario}: ${match.summary}`);
      console.log(`   ${match.symptom.who}: ${match.symptom.text}`);
      console.log(`   shared: ${match.shared.join(', ')}`);
      console.log(`   run it: broken-mta --scenario ${match.scenario}`);
    }
  });

program
  .command('serve')
  .description('serve several scenarios at once, each on its own port, and print the port map as JSON')
  .option('--all', 'every scenario in the catalogue')
  .option('--scenarios <names>', 'a comma-separated list of names or files')
  .option('--base-port <port>', 'the first port; the others follow it in order (0: each takes a free port)', parsePort, 2525)
  .option('--ports-file <file>', 'also write the port map to FILE')
  .action(async (options: { all?: boolean; scenarios?: string; basePort: number; portsFile?: string }) => {
    const flags = program.opts<ServeFlags>();
    if (Boolean(options.all) === Boolean(options.scenarios)) throw new UsageError('serve takes either --all or --scenarios a,b,c');
    const references = options.all ? catalogueNames() : options.scenarios!.split(',').map((name) => name.trim()).filter(Boolean);
    const plan = references.map((reference, index) => ({ reference, port: options.basePort === 0 ? 0 : options.basePort + index }));
    const running = await startAll(plan, flags);
    const portMap = Object.fromEntries(running.map((server) => [server.scenario.name, server.port]));
    const text = JSON.stringify({ host: flags.host, ports: portMap });
    if (options.portsFile) writeAtomically(options.portsFile, text + '\n', 0o644);
    console.log(text);
    runUntilSignalled(running, flags.json);
  });

program
  .command('matrix')
  .description('run a client command against each scenario and compare what happens with what the scenario expects')
  .argument('<command...>', 'after --: the client command; {host} {port} {scenario} {ca} are filled in')
  .option('--scenarios <names>', 'a comma-separated list (default: the whole catalogue)')
  .option('--client <kind>', `whose expectations apply: ${CLIENTS.join(', ')} (default: the command's name)`)
  .option('--junit <file>', 'also write the results as JUnit XML')
  .option('--timeout <ms>', 'how long one client run may take', parseCount, 20_000)
  .addHelpText('after', '\nExample:\n  broken-mta matrix --junit matrix.xml -- swaks --server {host}:{port} --to rcpt@example.test --tls --tls-verify --tls-ca-path {ca}\n')
  .action(async (command: string[], options: { scenarios?: string; client?: string; junit?: string; timeout: number }) => {
    const flags = program.opts<ServeFlags>();
    const client = options.client ?? basename(command[0]!);
    if (!(CLIENTS as readonly string[]).includes(client)) {
      throw new UsageError(`--client: "${client}" is not a client kind scenario files know (${CLIENTS.join(', ')})`);
    }
    const scenarios = options.scenarios ? options.scenarios.split(',').map((name) => name.trim()).filter(Boolean) : catalogueNames();
    const rows = await runMatrix(scenarios, {
      client,
      command,
      timeoutMs: options.timeout,
      hostname: flags.hostname,
      ...(flags.certs ? { certDir: flags.certs } : {}),
      onProgress: (row, index, total) => process.stderr.write(`[${index + 1}/${total}] ${row.scenario}: ${row.verdict} (${row.durationMs} ms)\n`),
    });
    console.log(formatTable(rows));
    if (options.junit) writeAtomically(options.junit, formatJUnit(rows, client), 0o644);
    if (rows.some((row) => row.verdict === 'fail')) process.exitCode = 1;
  });

program
  .command('certs')
  .description('generate every certificate profile into the cache and print the test CA file')
  .option('--certs <dir>', 'certificate cache folder')
  .option('--hostname <name>', 'the server name the certificates carry', DEFAULT_HOSTNAME)
  .option('--client', 'print the paths of a client certificate and its key, signed by the test CA')
  .option('--export <dir>', 'write the test CA, the intermediate, the retired root and the client certificate and key to DIR')
  .action(async (options: { certs?: string; hostname: string; client?: boolean; export?: string }) => {
    const cache = new CertificateCache(options.certs ?? program.opts().certs ?? defaultCertDir(), options.hostname);
    // Checked before any certificate is made.
    if (options.export) makeWritableDir(options.export, '--export');
    const started = Date.now();
    await cache.prepareAll();
    let ready = 0;
    for (const profile of CERT_PROFILE_NAMES) {
      const later = madeWhenServed(CERT_PROFILES[profile]);
      if (later) {
        process.stderr.write(`${profile}: ${later}\n`);
        continue;
      }
      const at = Date.now();
      let generated = false;
      await cache.get(profile, () => (generated = true));
      process.stderr.write(`${profile}: ${generated ? `generated in ${Date.now() - at} ms` : 'cached'}\n`);
      ready++;
    }
    process.stderr.write(`${ready} profiles ready in ${Date.now() - started} ms\n`);
    const client = await cache.get('client');
    if (options.export) {
      const out = (name: string, content: string, mode: number) => writeAtomically(join(options.export!, name), content, mode);
      out('test-ca.pem', readFileSync(cache.caFile, 'utf8'), 0o644);
      out('test-intermediate.pem', readFileSync(cache.authorityFile('test-intermediate'), 'utf8'), 0o644);
      // For a client that still trusts the retired root (expired-cross-root).
      out('retired-root.pem', readFileSync(cache.authorityFile('retired-root'), 'utf8'), 0o644);
      out('client.pem', client.chain, 0o644);
      out('client.key.pem', client.key, 0o600);
      console.log(resolve(options.export));
      return;
    }
    if (options.client) {
      // The bundle holds key and certificate; clients want them apart.
      const dir = dirname(client.file);
      writeAtomically(join(dir, 'client-cert.pem'), client.chain, 0o644);
      writeAtomically(join(dir, 'client-key.pem'), client.key, 0o600);
      console.log(join(dir, 'client-cert.pem'));
      console.log(join(dir, 'client-key.pem'));
      return;
    }
    console.log(cache.caFile);
  });

interface ServeFlags {
  host: string;
  hostname: string;
  json?: boolean;
  certs?: string;
  store?: string;
  maxMessages: number;
  maxConnections: number;
  maxMessageSize: number;
  idleTimeout: number;
  maxLineLength: number;
  maxRecipients: number;
  maxConnectionsPerClient: number;
  maxSessionTime: number;
  tlsHandshakeTimeout: number;
}

function checkHost(host: string): void {
  if (!isIP(host) && host !== 'localhost') {
    throw new UsageError(`--host ${host}: give an IP address to listen on (127.0.0.1, ::1, 0.0.0.0)`);
  }
  if (!isLoopback(host)) {
    process.stderr.write(`warning: listening on ${host}: other machines can reach this deliberately broken server\n`);
  }
}

/** Starts each scenario on its port; on any failure, closes those already started. */
async function startAll(plan: Array<{ reference: string; port: number }>, flags: ServeFlags): Promise<RunningScenario[]> {
  checkHost(flags.host);
  const started: RunningScenario[] = [];
  try {
    for (const { reference, port } of plan) {
      try {
        started.push(
          await startScenario(reference, {
            host: flags.host,
            port,
            hostname: flags.hostname,
            ...(flags.certs ? { certDir: flags.certs } : {}),
            ...(flags.store ? { store: flags.store } : {}),
            onKeyGeneration: (spec) => process.stderr.write(`${reference}: making its ${spec} key first (up to a minute; the certificate cache keeps it)\n`),
            limits: {
              maxMessages: flags.maxMessages,
              maxConnections: flags.maxConnections,
              maxMessageBytes: flags.maxMessageSize,
              idleTimeoutMs: flags.idleTimeout,
              maxLineBytes: flags.maxLineLength,
              maxRecipients: flags.maxRecipients,
              maxConnectionsPerClient: flags.maxConnectionsPerClient,
              maxSessionMs: flags.maxSessionTime,
              tlsHandshakeTimeoutMs: flags.tlsHandshakeTimeout,
            },
          }),
        );
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new Error(`port ${port} on ${flags.host} is in use: choose another with --port (0 takes a free one)`);
        if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new Error(`cannot listen on ${flags.host}:${port}: ${code}`);
        throw error;
      }
    }
  } catch (error) {
    await Promise.all(started.map((running) => running.close()));
    throw error;
  }
  return started;
}

/** Prints every event as it comes, then closes everything on SIGINT/SIGTERM within 2 s. */
function runUntilSignalled(running: RunningScenario[], json: boolean | undefined): void {
  if (!json) process.stderr.write(`trust the test CA with: ${running[0]!.caFile}\n`);
  // Lines are gathered and written once per tick: one console.log per event cost a fifth
  // of the CPU under load.
  let pending: string[] = [];
  const flush = () => {
    process.stdout.write(pending.join(''));
    pending = [];
  };
  for (const server of running) {
    void (async () => {
      for await (const event of server.events) {
        if (pending.length === 0) setImmediate(flush);
        pending.push((json ? JSON.stringify(event) : formatEvent(event)) + '\n');
      }
    })();
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal means "now".
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`${signal}: closing sessions\n`);
    const exit = () => {
      flush();
      process.exit(0);
    };
    // Messages under way get up to closeTimeoutMs (1.5 s) to finish; the process is gone within 2 s.
    const deadline = setTimeout(exit, 1900);
    deadline.unref();
    void Promise.all(running.map((server) => server.close())).then(exit);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function serve(reference: string, flags: ServeFlags & { port: number }): Promise<void> {
  const [running] = await startAll([{ reference, port: flags.port }], flags);
  const { host, port, scenario } = running!;
  console.log(flags.json ? JSON.stringify({ type: 'listening', host, port, scenario: scenario.name }) : `listening on ${host}:${port} scenario=${scenario.name}`);
  runUntilSignalled([running!], flags.json);
}

program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  const commanderCode = (error as { code?: string }).code ?? '';
  if (commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version' || commanderCode === 'commander.help') process.exit(0);
  if (commanderCode.startsWith('commander.')) process.exit(2); // commander printed its own line
  const bad = error instanceof ScenarioError || error instanceof UsageError;
  process.stderr.write(`broken-mta: ${(error as Error).message}\n`);
  process.exit(bad ? 2 : 1);
}
