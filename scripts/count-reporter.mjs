// A node:test reporter that writes `{"passed": N, "failed": M}` (leaf tests, not suites) as its output.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  for await (const event of source) {
    if (event.data?.details?.type === 'suite') continue;
    if (event.type === 'test:pass' && !event.data.skip && !event.data.todo) passed++;
    else if (event.type === 'test:fail') failed++;
  }
  yield JSON.stringify({ passed, failed });
}
