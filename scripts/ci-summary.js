// Prints the one closing line CI reads: "N passed, N failed", summing every suite. The static
// checks (typecheck, lint, format) run before jest; if they fail, jest never ran and that counts
// as one failure.
const fs = require('node:fs');
const path = require('node:path');

const status = Number(process.argv[2] ?? 1);
const file = path.join(__dirname, '..', 'test-results', 'jest.json');
let passed = 0;
let failed = 0;
if (fs.existsSync(file)) {
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests;
  // A suite that failed to run (a syntax error, a failing hook) has no failed test of its own.
  failed += report.testResults.filter(
    (r) => r.status === 'failed' && r.assertionResults.every((a) => a.status !== 'failed'),
  ).length;
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
