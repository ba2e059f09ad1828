// The README's TypeScript, compiled as a user compiles it: in a project of its own that
// has broken-mta, vitest and nodemailer installed, with `strict` on and nothing of ours
// skipped (our .d.ts files are a library to that project). And the public types hold: a
// fault entry is typed by the fault it names.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ScenarioInput } from '../src/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The ```ts blocks of the README that use the package, as printed. */
const examples = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((code) => code.includes("from 'broken-mta'"));

function compileAsAUser(files: string[]): string[] {
  const project = mkdtempSync(join(tmpdir(), 'broken-mta-readme-'));
  try {
    const modules = join(project, 'node_modules');
    mkdirSync(join(modules, '@types'), { recursive: true });
    symlinkSync(ROOT, join(modules, 'broken-mta'));
    for (const name of ['vitest', 'nodemailer', '@types/node', '@types/nodemailer']) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
    const names = files.map((code, index) => {
      const file = join(project, `example-${index + 1}.test.ts`);
      writeFileSync(file, code);
      return file;
    });
    const program = ts.createProgram(names, {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
      types: ['node'],
      typeRoots: [join(modules, '@types')],
      skipLibCheck: true,
    });
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

describe("the README's TypeScript", () => {
  it('has the vitest example exactly as examples/vitest/expired-cert.test.ts, which the suite runs', () => {
    const file = readFileSync(join(ROOT, 'examples', 'vitest', 'expired-cert.test.ts'), 'utf8');
    expect(examples).toContain(file.replace(/^(\/\/.*\n)+/, ''));
  });

  it('compiles in a project of its own, against the built package (npm run build)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(compileAsAUser(examples)).toEqual([]);
  }, 60_000);
});

describe('the public types', () => {
  type FaultInput = NonNullable<ScenarioInput['faults']>[number];

  it("type a fault entry by the fault it names: its own settings and the steps it acts at", () => {
    const reply: FaultInput = { fault: 'reply', on: 'RCPT', reply: '550 5.1.1 User unknown' };
    const delay: FaultInput = { fault: 'delay', on: ['CONNECT', 'MAIL'], ms: 500, times: 1 };
    expectTypeOf<Extract<FaultInput, { fault: 'reply' }>['reply']>().toEqualTypeOf<string | string[]>();
    // @ts-expect-error a reply cannot be sent in place of a TLS handshake
    const atTls: FaultInput = { fault: 'reply', on: 'TLS', reply: '550 no' };
    // @ts-expect-error a delay needs its ms
    const noMs: FaultInput = { fault: 'delay', on: 'RCPT' };
    // @ts-expect-error close has no reply setting
    const extra: FaultInput = { fault: 'close', on: 'RCPT', reply: '550 no' };
    expect([reply, delay, atTls, noMs, extra]).toHaveLength(5);
  });
});
