#!/usr/bin/env node
// Summarises a V8 CPU profile (node --cpu-prof) the way BENCHMARKS.md quotes it: self time
// by package or file of ours, then the heaviest functions, then inclusive time under
// chosen functions.
//
//   node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--under NAME ...] [--tree DEPTH]
//
// "self" is time in the function's own code (native calls it makes count to it, so
// OpenSSL's work lands on the JS function that called into TLS); "total" is time with
// everything it called. Idle time ("(idle)") is left out of the percentages.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--') && !/^\d+$/.test(arg));
const top = Number(args[args.indexOf('--top') + 1]) || 25;
const under = args.flatMap((arg, i) => (args[i - 1] === '--under' ? [arg] : []));
const treeDepth = args.includes('--tree') ? Number(args[args.indexOf('--tree') + 1]) : 0;
if (!file || Number.isNaN(treeDepth)) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--under NAME ...]');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map();
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (deltas[i] ?? 0));

const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

/** Where a function lives: a package in node_modules, a file of ours, node's own, or V8's. */
function home(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const ours = /\/dist\/(.*)$/.exec(url);
  return ours ? ours[1] : url;
}

let total = 0;
const byHome = new Map();
const byFunction = new Map();
for (const [id, us] of selfUs) {
  const { callFrame } = nodes.get(id);
  if (callFrame.functionName === '(idle)') continue;
  total += us;
  const where = home(callFrame);
  byHome.set(where, (byHome.get(where) ?? 0) + us);
  const name = `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
}

const ms = (us) => (us / 1000).toFixed(1).padStart(8);
const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + ' %';
const table = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms(us)} ms ${pct(us)}  ${name}`);
};

console.log(`${file}: ${(total / 1000).toFixed(0)} ms of CPU on the main thread (idle left out)`);
table('self time by package or file', byHome, top);
table('self time by function', byFunction, top);

// Inclusive time under each named function: every sample with it on its stack, once.
for (const name of under) {
  let us = 0;
  for (const [id, sample] of selfUs) {
    if (nodes.get(id).callFrame.functionName === '(idle)') continue;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      if (nodes.get(at).callFrame.functionName === name) {
        us += sample;
        break;
      }
    }
  }
  console.log(`\ntotal under ${name}: ${ms(us).trim()} ms (${pct(us).trim()})`);
}

// Top down: inclusive time of each call path to DEPTH, the paths over 1 % of the total.
if (treeDepth > 0) {
  const inclusive = new Map();
  const sum = (id) => {
    const node = nodes.get(id);
    let us = node.callFrame.functionName === '(idle)' ? 0 : (selfUs.get(id) ?? 0);
    for (const child of node.children ?? []) us += sum(child);
    inclusive.set(id, us);
    return us;
  };
  sum(profile.nodes[0].id);
  console.log('\ntop down (inclusive, over 1 %)');
  const walk = (id, depth) => {
    const children = (nodes.get(id).children ?? []).filter((child) => inclusive.get(child) > total / 100).sort((a, b) => inclusive.get(b) - inclusive.get(a));
    for (const child of children) {
      const { callFrame } = nodes.get(child);
      console.log(`${ms(inclusive.get(child))} ms ${pct(inclusive.get(child))}  ${'  '.repeat(depth)}${callFrame.functionName || '(anonymous)'} ${home(callFrame)}:${callFrame.lineNumber + 1}`);
      if (depth + 1 < treeDepth) walk(child, depth + 1);
    }
  };
  walk(profile.nodes[0].id, 0);
}
