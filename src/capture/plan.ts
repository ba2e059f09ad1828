// Findings in, a scenario out: the SMTP and TLS halves, a name, the summary naming each
// defect, and symptoms and fixes borrowed from the catalogue scenarios that have the same
// defects (what they say openssl prints is checked by their own tests).
import { catalogueNames, loadScenarioWithFile } from '../scenario/load.js';
import { scenarioSchema, type Scenario, type ScenarioInput } from '../scenario/schema.js';
import type { DhFindings } from './dh.js';
import type { Findings } from './findings.js';
import { planSmtp } from './plan-smtp.js';
import { planTls } from './plan-tls.js';
import { featuresOf } from './resemble.js';

export interface PlanOptions {
  /** Keep the server's own host names in the banner (default: {hostname}). */
  keepHostnames?: boolean;
  /** Where the captured DH group goes, relative to the scenario file; none on stdout. */
  dhFile?: string;
  /** The catalogue to borrow symptoms from (default: the package's). */
  catalogue?: readonly Scenario[];
}

export interface CapturedScenario {
  scenario: ScenarioInput;
  defects: string[];
  /** What is approximated or not reproduced: comments in the file, lines on stderr. */
  notes: string[];
  /** PEM for options.dhFile, when the scenario serves the captured group. */
  dhParams?: string;
}

export function planScenario(findings: Findings, options: PlanOptions = {}): CapturedScenario {
  const { host, port } = findings.target;
  const smtp = findings.smtp ? planSmtp(findings.smtp, host, options.keepHostnames ?? false) : undefined;
  const tls = planTls(findings, options.dhFile ? { dhFile: options.dhFile } : {});
  const defects = [...(smtp?.defects ?? []), ...tls.defects];
  const notes = [...(smtp?.notes ?? []), ...tls.notes];
  if (findings.target.implicit && !findings.smtp?.banner) notes.push('no SMTP session could be read inside the TLS connection: the banner and EHLO are the defaults');
  // The banner as the file serves it: host names already {hostname} unless asked to keep them.
  const banner = smtp?.smtp.greeting?.slice(4);
  const behaviour: Omit<ScenarioInput, 'name' | 'summary' | 'imitates' | 'symptoms' | 'fixes'> = {
    ...(smtp && Object.keys(smtp.smtp).length ? { smtp: smtp.smtp } : {}),
    ...(tls.tls ? { tls: tls.tls } : {}),
    ...([...(smtp?.faults ?? []), ...tls.faults].length ? { faults: [...(smtp?.faults ?? []), ...tls.faults] as ScenarioInput['faults'] } : {}),
  };
  const draft: ScenarioInput = {
    name: `captured-${`${host}-${port}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}`,
    summary: `Captured from ${host}:${port}: ${defects.length ? defects.join('; ') : 'no defect found'}`,
    imitates: `${host}:${port} as captured on ${findings.capture.at}${banner ? ` (banner: ${banner})` : ''}`,
    fixes: ['Server: fix what the summary names.'],
    ...behaviour,
  };
  const borrowed = borrow(draft, options.catalogue ?? catalogue(), findings.tls?.dh);
  return { scenario: { ...draft, ...borrowed }, defects, notes, ...(tls.dhParams ? { dhParams: tls.dhParams } : {}) };
}

let loaded: Scenario[] | undefined;
export function catalogue(): Scenario[] {
  loaded ??= catalogueNames().map((name) => loadScenarioWithFile(name).scenario);
  return loaded;
}

/**
 * Each feature of the capture that one catalogue scenario has alone lends that scenario's
 * openssl symptoms and its fixes; a capture with no feature is the catalogue's `good`. With
 * more than one lender, each symptom says whose it is: openssl stops at the first.
 */
function borrow(draft: ScenarioInput, scenarios: readonly Scenario[], dh: DhFindings | undefined): Partial<Pick<ScenarioInput, 'symptoms' | 'fixes'>> | undefined {
  // The schema alone: a DH file the draft names is not written yet.
  const features = featuresOf({ ...scenarioSchema.parse(draft), name: draft.name! }).map((feature) => (feature === 'dh:file' && dh ? alikeGroup(dh) : feature));
  const lenders = features.length
    ? features.flatMap((feature) => scenarios.filter((scenario) => featuresOf(scenario).join() === feature).slice(0, 1))
    : scenarios.filter((scenario) => scenario.name === 'good');
  if (!lenders.length) return undefined;
  const symptoms = lenders.flatMap((scenario) =>
    scenario.symptoms
      .filter((symptom) => symptom.client === 'openssl')
      .map((symptom) => (lenders.length > 1 ? { ...symptom, note: [symptom.note, `as ${scenario.name}`].filter(Boolean).join('; ') } : symptom)),
  );
  const fixes = [...new Set(lenders.flatMap((scenario) => scenario.fixes))];
  return { ...(symptoms.length ? { symptoms } : {}), fixes };
}

/** The catalogue group a captured one fails like: OpenSSL refuses under 512 bits one way, under 2048 another. */
function alikeGroup(dh: DhFindings): string {
  if (dh.prime === false) return 'dh:composite';
  if (dh.generatorOrder !== undefined) return 'dh:small-subgroup';
  return dh.bits < 512 ? 'dh:480' : dh.bits < 2048 ? 'dh:1024' : 'dh:file';
}
