// Bundles the web UI (services/gateway/ui) into services/gateway/public/app.js, one ES module for
// browsers. Run by the root postinstall, by the gateway's build (with --minify) and before the
// browser test. esbuild does not type-check: `npm run typecheck` checks ui/ with its own tsconfig.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const gateway = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../services/gateway');
const entry = path.join(gateway, 'ui/main.ts');

// The Dockerfile installs dependencies before the sources are copied in (and the production
// stage has no esbuild): there is nothing to build yet, and the gateway's build does it later.
if (!existsSync(entry)) {
  console.log('build-ui: no UI sources here, nothing to build');
  process.exit(0);
}

const { build } = await import('esbuild');
await build({
  entryPoints: [entry],
  outfile: path.join(gateway, 'public/app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
  // Type-only imports of the shared API schemas are erased; no server code comes in.
  conditions: ['@jitkb/source'],
});
