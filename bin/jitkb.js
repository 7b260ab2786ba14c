#!/usr/bin/env node
'use strict';
// The `jitkb` command: runs cli/jitkb.ts with tsx, resolving @jitkb/shared to its TypeScript source
// (the @jitkb/source condition), so that it works in a checkout without a build.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..');
const tsx = pathToFileURL(require.resolve('tsx', { paths: [root] })).href;
const child = spawn(
  process.execPath,
  [
    '--import',
    tsx,
    '--conditions=@jitkb/source',
    path.join(root, 'cli/jitkb.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);

const forward = (signal) => () => child.kill(signal);
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of signals) process.on(signal, forward(signal));

child.on('error', (error) => {
  console.error(`jitkb: cannot start node: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    // Die of the same signal, so that a shell sees how the command ended.
    for (const s of signals) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
