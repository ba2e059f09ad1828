// The claims a sender scenario's page makes about a receiving MTA (src/scenario/
// sender-claims.ts), run against that MTA: one daemon per configuration (the claims' `with`),
// each of its claims a run of the scenario against it, checked as the page states it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSenderEvent } from '../../src/sender/report.js';
import { loadSenderScenario, senderCatalogueNames } from '../../src/scenario/sender-load.js';
import { textsOf, type ReceiverClaim, type ReceiverSettings } from '../../src/scenario/sender-claims.js';
import type { Receiver, ReceiverRun } from './receiver.js';

type Kind = ReceiverClaim['receiver'];

export interface ClaimEntry {
  name: string;
  index: number;
  claim: ReceiverClaim;
}

/** Every claim about `receiver` in the sender catalogue, with its scenario. */
export function receiverClaims(receiver: Kind): ClaimEntry[] {
  return senderCatalogueNames().flatMap((name) =>
    loadSenderScenario(name).scenario.symptoms.flatMap((claim, index) => (claim.receiver === receiver ? [{ name, index, claim }] : [])),
  );
}

function settingsLabel(settings: ReceiverSettings | undefined): string {
  const entries = Object.entries(settings ?? {}).map(([key, value]) => `${key} ${value}`);
  return entries.length ? entries.join(', ') : 'as configured';
}

/** The claims in groups of one configuration each, the plain one first. */
export function byConfiguration(claims: ClaimEntry[]): Array<{ settings: ReceiverSettings; claims: ClaimEntry[] }> {
  const groups = new Map<string, { settings: ReceiverSettings; claims: ClaimEntry[] }>();
  for (const entry of claims) {
    const key = JSON.stringify(Object.entries(entry.claim.with ?? {}).sort());
    if (!groups.has(key)) groups.set(key, { settings: entry.claim.with ?? {}, claims: [] });
    groups.get(key)!.claims.push(entry);
  }
  return [...groups.values()].sort((a, b) => Object.keys(a.settings).length - Object.keys(b.settings).length);
}

export function showRun(receiver: string, run: ReceiverRun): string {
  return `${receiver} logged:\n${run.log.join('\n')}\n\nbroken-mta send printed:\n${run.sent.events.map(formatSenderEvent).join('\n')}`;
}

/** The log line with `expected` in it; on a mismatch the error shows the whole run. */
export function loggedLine(receiver: string, run: ReceiverRun, expected: string | RegExp): string {
  const line = run.log.find((l) => (typeof expected === 'string' ? l.includes(expected) : expected.test(l)));
  if (!line) throw new Error(`${receiver} logged no line with ${JSON.stringify(String(expected))}.\n${showRun(receiver, run)}`);
  return line;
}

/** A claim, checked as the page states it: texts as substrings of a line, the outcome as the run's. */
export function checkClaim(receiver: string, claim: ReceiverClaim, run: ReceiverRun): void {
  for (const text of textsOf(claim.logs)) loggedLine(receiver, run, text);
  const printed = run.sent.events.map(formatSenderEvent);
  for (const text of textsOf(claim.prints)) {
    if (!printed.some((line) => line.includes(text))) throw new Error(`broken-mta send printed no line with ${JSON.stringify(text)}.\n${showRun(receiver, run)}`);
  }
  const { outcome } = run.sent;
  if (claim.delivered !== undefined) expect(outcome.delivered, showRun(receiver, run)).toBe(claim.delivered);
  if (claim.tls !== undefined) expect(outcome.tls, showRun(receiver, run)).toBe(claim.tls);
  if (claim.split !== undefined) expect(outcome.split, showRun(receiver, run)).toBe(claim.split);
  if (claim.queued !== undefined) expect(run.queued, showRun(receiver, run)).toBe(claim.queued);
  if (claim.healthy !== undefined) expect(run.sent.asExpected, showRun(receiver, run)).toBe(claim.healthy);
}

/**
 * The claims about `receiver`, one describe per configuration: `start` makes a daemon for
 * it before the first claim, which runs each scenario in turn; it stops after the last.
 */
export function describeReceiverClaims(receiver: Kind, title: string, start: (settings: ReceiverSettings) => Promise<Receiver>): void {
  const claims = receiverClaims(receiver);

  it(`every sender scenario has a claim about ${title}`, () => {
    expect([...new Set(claims.map((entry) => entry.name))]).toEqual(senderCatalogueNames());
  });

  for (const { settings, claims: group } of byConfiguration(claims)) {
    describe(`${title}, ${settingsLabel(settings)}`, () => {
      let daemon: Receiver | undefined;
      beforeAll(async () => {
        daemon = await start(settings);
      }, 60_000);
      afterAll(async () => {
        await daemon?.stop();
      }, 30_000);

      it.each(group.map((entry) => [`${entry.name} #${entry.index + 1}`, entry] as const))('%s', async (_label, { name, claim }) => {
        if (!daemon) throw new Error(`${title} did not start`);
        checkClaim(title, claim, await daemon.send(name));
      });
    });
  }
}
