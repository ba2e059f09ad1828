// Which catalogue scenario a captured server resembles: both are reduced to their features
// (the certificate profile, the DH group, the versions, the script, each fault by name and
// step), and the catalogue is ranked by how many they share (Jaccard). A capture with the
// same features as a catalogue scenario reproduces it.
import type { Scenario } from '../scenario/schema.js';

const DEFAULT_ENGINE_VERSIONS = 'TLSv1,TLSv1.1,TLSv1.2';

/** What makes a scenario what it is, as short strings; a correct STARTTLS server has none. */
export function featuresOf(scenario: Scenario): string[] {
  const features: string[] = [];
  const tls = scenario.tls;
  if (!tls) features.push('no-tls');
  if (tls?.implicit) features.push('implicit');
  if (tls && scenario.smtp.ehlo && !scenario.smtp.ehlo.some((keyword) => keyword.toUpperCase() === 'STARTTLS')) features.push('starttls-not-advertised');
  if (tls && tls.cert !== 'valid' && tls.cert !== 'good-chain') features.push(`cert:${tls.cert}`);
  if (tls?.clientCert) features.push('client-cert-required');
  if (tls?.engine === 'scripted') {
    if (tls.dh !== undefined && tls.dh !== 2048) features.push(`dh:${typeof tls.dh === 'object' ? 'file' : tls.dh}`);
    for (const [key, value] of Object.entries(tls.script ?? {})) {
      features.push(key === 'alertAfter' ? `script:alertAfter:${(value as { step: string }).step}` : `script:${key}${typeof value === 'string' ? `:${value}` : ''}`);
    }
  }
  const versions = tls?.versions?.filter((version) => version !== 'TLSv1.3');
  if (versions?.length && versions.join() !== DEFAULT_ENGINE_VERSIONS && !versions.includes('TLSv1.2')) features.push(`versions:${versions.join(',')}`);
  for (const fault of scenario.faults) {
    for (const step of [fault.on].flat()) {
      const code = 'reply' in fault && fault.reply ? `:${String([fault.reply].flat()[0]).slice(0, 3)}` : '';
      features.push(`fault:${fault.fault}:${step}${code}`);
    }
  }
  return [...new Set(features)].sort();
}

export interface Resemblance {
  scenario: string;
  summary: string;
  /** 1 when the features are the same. */
  score: number;
  shared: string[];
  /** Features of the capture the catalogue scenario lacks, and the other way round. */
  onlyCaptured: string[];
  onlyCatalogue: string[];
}

export function resemble(captured: Scenario, catalogue: readonly Scenario[], limit = 3): Resemblance[] {
  const mine = new Set(featuresOf(captured));
  return catalogue
    .map((scenario) => {
      const theirs = new Set(featuresOf(scenario));
      const shared = [...mine].filter((feature) => theirs.has(feature));
      const union = new Set([...mine, ...theirs]).size;
      return {
        scenario: scenario.name,
        summary: scenario.summary ?? '',
        score: union === 0 ? 1 : shared.length / union,
        shared,
        onlyCaptured: [...mine].filter((feature) => !theirs.has(feature)),
        onlyCatalogue: [...theirs].filter((feature) => !mine.has(feature)),
      };
    })
    .filter((match) => match.score > 0)
    .sort((a, b) => b.score - a.score || a.onlyCatalogue.length - b.onlyCatalogue.length || a.scenario.localeCompare(b.scenario))
    .slice(0, limit);
}
