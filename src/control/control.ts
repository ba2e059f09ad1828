// What the control API drives: the listeners, their events and their messages, the
// catalogue. The catalogue and every certificate are read (or made) once, at start; after
// that no request reads or writes a file: a scenario is a catalogue name or an inline
// object that may not point at one, and messages are written only to --store.
import { CertificateCache, type ServedCertificate } from '../certs/cache.js';
import { EventLog } from '../events.js';
import { DEFAULT_LIMITS, loadScenario, type Limits, type Scenario } from '../index.js';
import { catalogueNames, ScenarioError } from '../scenario/load.js';
import { SERVED_PROFILE_NAMES, type CertProfileName } from '../certs/profiles.js';
import { serveScenario } from '../smtp/server.js';
import type { CapturedMessage } from '../smtp/types.js';
import { MessageStore } from '../store.js';
import { didYouMean } from '../suggest.js';
import { EventBus } from './bus.js';
import { clip, HttpError } from './http-error.js';
import { Listener, type ListenerInfo } from './listener.js';
import { MessageBox } from './messages.js';

/** Each listener holds a port and its servers: their number is bounded. */
export const MAX_LISTENERS = 256;

export interface ControlOptions {
  /** The address listeners bind (each on its own port). */
  host: string;
  hostname: string;
  certDir: string;
  limits?: Partial<Limits>;
  /** A folder to write every message to (.eml, plus messages.jsonl). */
  store?: string;
  /** Told of each certificate that has to be made at start (a cold cache): long work shows progress. */
  onGenerate?: (profile: string) => void;
}

export class Control {
  readonly bus = new EventBus();
  readonly messages: MessageBox;
  private readonly listeners = new Map<number, Listener>();
  private readonly certificates: ReadonlyMap<CertProfileName, ServedCertificate>;
  private readonly limits: Limits;

  private constructor(
    private readonly options: ControlOptions,
    private readonly catalogue: ReadonlyMap<string, Scenario>,
    private readonly cache: CertificateCache,
    certificates: Array<[CertProfileName, ServedCertificate]>,
    /** The test CA's certificate (PEM), what clients must trust. */
    readonly caCertificate: string,
    private readonly store: MessageStore | undefined,
  ) {
    this.certificates = new Map(certificates);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.messages = new MessageBox(this.limits.maxMessages);
  }

  static async start(options: ControlOptions): Promise<Control> {
    const store = options.store ? new MessageStore(options.store) : undefined;
    const catalogue = new Map(catalogueNames().map((name) => [name, loadScenario(name)]));
    const cache = new CertificateCache(options.certDir, options.hostname);
    // Made side by side first when some are missing; then each is read once.
    if (cache.missing().length > 0) await cache.prepareAll();
    const certificates: Array<[CertProfileName, ServedCertificate]> = [];
    for (const profile of SERVED_PROFILE_NAMES) certificates.push([profile, await cache.get(profile, options.onGenerate)]);
    const ca = await cache.ensureCa();
    return new Control(options, catalogue, cache, certificates, ca.cert, store);
  }

  get caFile(): string {
    return this.cache.caFile;
  }

  scenarios(): Array<Pick<Scenario, 'name' | 'summary'>> {
    return [...this.catalogue.values()].map(({ name, summary }) => ({ name, summary }));
  }

  scenario(name: string): Scenario {
    const found = this.catalogue.get(name);
    if (!found) throw new HttpError(404, `no scenario "${clip(name)}" in the catalogue${didYouMean(name, this.catalogue.keys())}; GET /scenarios lists them`);
    return found;
  }

  /** A request's `scenario`: a catalogue name, or an inline scenario checked by the scenario files' schema. */
  resolve(reference: unknown): Scenario {
    if (typeof reference === 'string') {
      const found = this.catalogue.get(reference);
      if (!found) throw new HttpError(400, `scenario: no scenario "${clip(reference)}" in the catalogue${didYouMean(reference, this.catalogue.keys())}; GET /scenarios lists them`);
      return found;
    }
    refuseFiles(reference);
    try {
      return loadScenario(reference as Parameters<typeof loadScenario>[0]);
    } catch (error) {
      // Every problem the loader found, on the one line an error answer has.
      if (error instanceof ScenarioError) throw new HttpError(400, error.message.split('\n').join('; '));
      throw error;
    }
  }

  listenerInfos(): ListenerInfo[] {
    return [...this.listeners.values()].map((listener) => listener.info());
  }

  listener(port: number): Listener {
    const found = this.listeners.get(port);
    if (!found) throw new HttpError(404, `no listener on port ${port}; GET /listeners lists them`);
    return found;
  }

  async startListener(scenario: Scenario, port = 0): Promise<Listener> {
    if (this.listeners.size >= MAX_LISTENERS) throw new HttpError(409, `${MAX_LISTENERS} listeners run already; DELETE one first`);
    let listener: Listener;
    try {
      listener = await Listener.open(this.options.host, port, scenario, (s, p, next) => this.serve(s, p, next), (p, text) => this.warn(p, text));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new HttpError(409, `port ${port} on ${this.options.host} is in use; give another, or 0 for a free one`);
      if (code === 'EACCES') throw new HttpError(403, `port ${port} on ${this.options.host} needs privileges this server does not have; give a port above 1023, or 0`);
      throw error;
    }
    this.listeners.set(listener.port, listener);
    return listener;
  }

  /** Sessions get 421 4.3.2; resolves once the port is free. */
  async stopListener(port: number): Promise<ListenerInfo> {
    const listener = this.listener(port);
    this.listeners.delete(port);
    await listener.close();
    return listener.info();
  }

  /** Stops every listener, then writes out what --store still holds. */
  async close(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((listener) => listener.close()));
    await this.store?.flush();
  }

  private async serve(scenario: Scenario, port: number, nextSessionNumber: () => number) {
    const certificate = scenario.tls ? this.certificates.get(scenario.tls.cert) : undefined;
    // The bus keeps the events; the server's own log only passes them on.
    const events = new EventLog({ maxEvents: 0 });
    events.on('event', (event) => this.bus.publish(port, event));
    const server = await serveScenario(scenario, {
      host: this.options.host,
      port,
      listen: false,
      nextSessionNumber,
      hostname: this.options.hostname,
      events,
      limits: this.limits,
      ...(certificate ? { certificate } : {}),
      ...(scenario.tls?.clientCert ? { caCertificate: this.caCertificate } : {}),
      onMessage: (message) => {
        this.received(port, scenario.name, message);
        // The box keeps the messages (and DELETE /messages forgets them); the server's own list only passes them on.
        server.messages.length = 0;
      },
    });
    return server;
  }

  private received(port: number, scenario: string, message: CapturedMessage): void {
    this.messages.add(port, scenario, message);
    this.store?.save(scenario, message, (error) => this.warn(port, `--store: ${error.message}`, message.session));
  }

  private warn(port: number, text: string, session = 0): void {
    this.bus.publish(port, { time: new Date().toISOString(), scenario: this.listeners.get(port)?.scenario.name ?? '', session, type: 'warning', text });
  }
}

/**
 * An inline scenario may not name a file: loaded from a file, a path is relative to its
 * folder; over HTTP it would be the server's, which a client has no business reading.
 * `extends` may name the catalogue, which is the package's own.
 */
function refuseFiles(reference: unknown): void {
  if (!isRecord(reference)) return;
  const { tls, extends: base } = reference;
  if (isRecord(tls) && isRecord(tls.dh)) {
    throw new HttpError(400, 'inline scenario: tls.dh: the control API reads no files; give a group by its size in bits or its name (512, composite, small-subgroup...)');
  }
  if (typeof base === 'string' && !catalogueNames().includes(base)) {
    throw new HttpError(400, `inline scenario: extends: the control API reads no files; give a catalogue name${didYouMean(base, catalogueNames())} (GET /scenarios lists them)`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
