// The TypeScript types: the runtime's and the element's (www/types), the module's own
// (pkg/editseg.d.ts, with the result types written from the Rust definitions), a small consumer
// and the README's usage example all pass `tsc --noEmit` in strict mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

test("the types, a consumer and the README's example type-check", { timeout: 120_000 }, async () => {
  const readme = await readFile(here('../../README.md'), 'utf8');
  const example = readme.match(/<!-- usage example -->\s*```js\n([\s\S]*?)```/)?.[1];
  assert.ok(example, 'no usage example in the README');
  await mkdir(here('.types-readme'), { recursive: true });
  // As JavaScript, the way the README shows it: checked against the module's types.
  await writeFile(here('.types-readme/readme-example.js'), `${example}\nexport {};\n`);
  const tsc = here('node_modules/typescript/bin/tsc');
  const result = await new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', here('types/tsconfig.json')], (error, stdout, stderr) =>
      resolve({ code: error?.code ?? 0, out: stdout + stderr }));
  });
  assert.equal(result.code, 0, result.out);
});
