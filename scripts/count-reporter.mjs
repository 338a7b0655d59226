// A node:test reporter that writes `{"passed": N, "failed": M, "skipped": K}` (leaf tests, not
// suites; todo tests count as skipped) as its output.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.data?.details?.type === 'suite') continue;
    if (event.type === 'test:pass') {
      if (event.data.skip || event.data.todo) skipped++;
      else passed++;
    } else if (event.type === 'test:fail') failed++;
  }
  yield JSON.stringify({ passed, failed, skipped });
}
