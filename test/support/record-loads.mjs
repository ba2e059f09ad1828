// `node --import ./test/support/record-loads.mjs ...` writes, at exit, every module the
// process loaded to the file $BROKEN_MTA_RECORD_LOADS, one a line: ES modules as the
// resolve hook sees them, CommonJS ones (a require() inside a package, or createRequire)
// from require's cache. test/cli-startup.test.ts reads it.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.BROKEN_MTA_RECORD_LOADS;
if (file) {
  register('./record-loads-hooks.mjs', import.meta.url, { data: { file } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(file, Object.keys(require.cache).map((path) => `${path}\n`).join('')));
}
