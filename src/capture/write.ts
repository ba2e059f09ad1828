// The captured scenario as a file: YAML under a comment that says where it came from and
// what it does not reproduce, checked by the same loader `--scenario` uses before anything
// is written. With --out, a captured DH group goes in a PEM file beside it.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { writeAtomically } from '../certs/cache.js';
import { loadScenarioFile, parseScenarioObject } from '../scenario/load.js';
import type { Findings } from './findings.js';
import { planScenario, type CapturedScenario } from './plan.js';

export interface WrittenCapture extends CapturedScenario {
  text: string;
  /** The files written, the scenario last. */
  files: string[];
}

/** The DH parameters' file name beside a scenario file: my.yaml -> my.dh.pem. */
export const dhFileFor = (out: string) => `${basename(out).replace(/\.ya?ml$/i, '')}.dh.pem`;

export function scenarioText(findings: Findings, captured: CapturedScenario): string {
  const { host, port } = findings.target;
  const header = [
    `Captured by broken-mta capture from ${host}:${port} on ${findings.capture.at}.`,
    "The server's own certificate and key are not copied: the profile below fails the same way.",
    ...(captured.notes.length ? ['Not reproduced, or approximated:', ...captured.notes.map((note) => `  - ${note}`)] : []),
  ];
  return `${header.map((line) => `# ${line}`).join('\n')}\n${stringify(captured.scenario, { lineWidth: 0 })}`;
}

/** Plans, validates and (with `out`) writes; nothing is left behind when the check fails. */
export function writeCapture(findings: Findings, options: { out?: string; keepHostnames?: boolean }): WrittenCapture {
  const dhFile = options.out ? dhFileFor(options.out) : undefined;
  const captured = planScenario(findings, { ...(options.keepHostnames ? { keepHostnames: true } : {}), ...(dhFile ? { dhFile } : {}) });
  const text = scenarioText(findings, captured);
  const files: string[] = [];
  if (!options.out) {
    parseScenarioObject(captured.scenario);
    return { ...captured, text, files };
  }
  // Checked where it will live (a DH file is read relative to it), under a name of its own until it passes.
  const dhPath = join(dirname(options.out), dhFile!);
  const pending = `${options.out}.${process.pid}.tmp.yaml`;
  try {
    if (captured.dhParams) {
      writeAtomically(dhPath, captured.dhParams, 0o644);
      files.push(dhPath);
    }
    writeFileSync(pending, text, { mode: 0o644 });
    loadScenarioFile(pending);
    renameSync(pending, options.out);
    files.push(options.out);
  } catch (error) {
    rmSync(pending, { force: true });
    if (captured.dhParams) rmSync(dhPath, { force: true });
    throw error;
  }
  return { ...captured, text, files };
}
