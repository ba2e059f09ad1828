#!/usr/bin/env node
// The command line: serve one scenario, list the catalogue, show a page, make the certs.
// Bad input exits 2 with one line; a failure to serve (busy port, bad host) exits 1.
import { isIP } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { stringify } from 'yaml';
import { CertificateCache } from './certs/cache.js';
import { CERT_PROFILE_NAMES } from './certs/profiles.js';
import { formatEvent } from './format.js';
import { DEFAULT_HOST, DEFAULT_HOSTNAME, defaultCertDir, listScenarios, loadScenario, startScenario, type RunningScenario } from './index.js';
import { ScenarioError } from './scenario/load.js';

class UsageError extends Error {}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 takes a free one)');
  return port;
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
  .addHelpText(
    'after',
    '\nExamples:\n' +
      '  broken-mta --scenario expired-cert          serve on 127.0.0.1:2525\n' +
      '  broken-mta --scenario ./my.yaml --port 0    a scenario file, on a free port\n' +
      '  broken-mta list                             the catalogue\n' +
      '  broken-mta show groupwise-450               what it imitates, symptoms, fixes\n' +
      '  broken-mta certs                            make the certificates, print the test CA path\n',
  )
  .action(async (options: { scenario?: string; host: string; port: number; hostname: string; json?: boolean; certs?: string }) => {
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
  .command('certs')
  .description('generate every certificate profile into the cache and print the test CA file')
  .option('--certs <dir>', 'certificate cache folder')
  .option('--hostname <name>', 'the server name the certificates carry', DEFAULT_HOSTNAME)
  .action(async (options: { certs?: string; hostname: string }) => {
    const cache = new CertificateCache(options.certs ?? program.opts().certs ?? defaultCertDir(), options.hostname);
    const started = Date.now();
    await cache.ensureCa();
    for (const profile of CERT_PROFILE_NAMES) {
      const at = Date.now();
      let generated = false;
      await cache.get(profile, () => (generated = true));
      process.stderr.write(`${profile}: ${generated ? `generated in ${Date.now() - at} ms` : 'cached'}\n`);
    }
    process.stderr.write(`${CERT_PROFILE_NAMES.length} profiles ready in ${Date.now() - started} ms\n`);
    console.log(cache.caFile);
  });

async function serve(
  reference: string,
  options: { host: string; port: number; hostname: string; json?: boolean; certs?: string },
): Promise<void> {
  if (!isIP(options.host) && options.host !== 'localhost') {
    throw new UsageError(`--host ${options.host}: give an IP address to listen on (127.0.0.1, ::1, 0.0.0.0)`);
  }
  if (!isLoopback(options.host)) {
    process.stderr.write(`warning: listening on ${options.host}: other machines can reach this deliberately broken server\n`);
  }
  let running: RunningScenario;
  try {
    running = await startScenario(reference, {
      host: options.host,
      port: options.port,
      hostname: options.hostname,
      ...(options.certs ? { certDir: options.certs } : {}),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${options.port} on ${options.host} is in use: choose another with --port (0 takes a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new Error(`cannot listen on ${options.host}:${options.port}: ${code}`);
    throw error;
  }
  const print = options.json ? (e: object) => console.log(JSON.stringify(e)) : (e: Parameters<typeof formatEvent>[0]) => console.log(formatEvent(e));
  if (options.json) console.log(JSON.stringify({ type: 'listening', host: running.host, port: running.port, scenario: running.scenario.name }));
  else console.log(`listening on ${running.host}:${running.port} scenario=${running.scenario.name}`);
  if (!options.json) process.stderr.write(`trust the test CA with: ${running.caFile}\n`);
  void (async () => {
    for await (const event of running.events) print(event);
  })();

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal means "now".
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`${signal}: closing sessions\n`);
    const deadline = setTimeout(() => process.exit(0), 1000);
    deadline.unref();
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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
