// Bundles the web UI (services/gateway/ui) into public/app.js, one ES module for browsers.
// Run by the gateway's build, by the root postinstall, and before the browser test; esbuild does
// not type-check: `npm run typecheck` checks ui/ with its own tsconfig (DOM types).
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [path.join(root, 'ui/main.ts')],
  outfile: path.join(root, 'public/app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
  // Type-only imports of the shared API schemas are erased; nothing else of the server may come in.
  conditions: ['@jitkb/source'],
});
