/*
 * Just-in-time readiness: 20 files of 20 KB, from the chat's start to "ready", through the real
 * system (the five services as processes on the embedded adapters, reached through the gateway),
 * against the embedder's raw throughput on the same chunks in the same run: the pipeline's
 * overhead is everything that is not embedding (bus, object store, extraction, chunking, tables,
 * knowledge-base writes, status polling).
 */
import { createdFileView } from '@jitkb/shared';
import { chunkText } from '../services/ingestion/src/domain/chunk';
import { extractText } from '../services/ingestion/src/domain/extract';
import { loadCorpus } from '../scripts/beir';
import { call, uploadThrough } from '../test/e2e/client';
import type { System } from '../test/e2e/system';
import { scifactDir, sleep, table, type BenchContext, type SectionResult } from './lib/context';
import { fmt, fmtSpread, ratioSpread, spread } from './lib/stats';
import { barChart } from './lib/svg';
import { Rng, SyntheticEmbedder, ZipfVocabulary } from './lib/synthetic';

const CONTENT_TYPE = 'text/plain';
/*
 * Each status poll costs about 5 ms of CPU across the bench, the gateway and the chat service
 * (token checks, proxying, the status read): every 20 ms that took an eighth of the two cores from
 * the embedder being measured. Every 100 ms costs a fifth of that and adds at most 100 ms to a
 * run of over 10 s, which only counts against the pipeline.
 */
const POLL_MS = 100;
const READY_TIMEOUT_MS = 10 * 60_000;

interface Sizes {
  files: number;
  bytes: number;
  runs: number;
}

function sizesFor(context: BenchContext): Sizes {
  if (context.scale === 'smoke') return { files: 2, bytes: 2_000, runs: 1 };
  return { files: 20, bytes: 20_000, runs: context.scale === 'full' ? 3 : 2 };
}

/** Real prose (SciFact abstracts) when it is there, else Zipf text; `count` files of `bytes`. */
async function makeFiles(context: BenchContext, sizes: Sizes, runs: number): Promise<Buffer[][]> {
  const dir = context.scale === 'smoke' ? undefined : scifactDir();
  const source = dir
    ? (await loadCorpus(dir)).map((doc) => `${doc.title}\n\n${doc.text}\n\n`)
    : Array.from(
        { length: 400 },
        (_, i) => `${new ZipfVocabulary(5000).text(new Rng(i), 150)}.\n\n`,
      );
  let next = 0;
  const file = () => {
    let text = '';
    while (Buffer.byteLength(text) < sizes.bytes) text += source[next++ % source.length];
    return Buffer.from(text).subarray(0, sizes.bytes);
  };
  return Array.from({ length: runs }, () => Array.from({ length: sizes.files }, file));
}

async function metricSum(url: string, name: string, label?: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => label === undefined || line.includes(label))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

interface PipelineRun {
  seconds: number;
  /** Seconds inside the ingestion worker's file handler, and inside knowledge-base ingest. */
  fileSeconds: number;
  kbSeconds: number;
}

async function pipelineRun(system: System, token: string, files: Buffer[]): Promise<PipelineRun> {
  const api = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    call(system.url, token, method, path, body);
  const project = await api('POST', '/v1/projects', { name: `bench ${Date.now()}` });
  if (project.status !== 201) throw new Error(`create project: ${project.status}`);
  const projectId = (project.body as { id: string }).id;
  for (const [i, content] of files.entries()) {
    const created = await api('POST', `/v1/projects/${projectId}/files`, {
      name: `file-${i}.txt`,
      contentType: CONTENT_TYPE,
      size: content.length,
    });
    if (created.status !== 201)
      throw new Error(`create file: ${created.status} ${JSON.stringify(created.body)}`);
    const file = createdFileView.parse(created.body);
    const uploaded = await uploadThrough(file.upload, content);
    if (uploaded >= 300) throw new Error(`upload: ${uploaded}`);
    const done = await api('POST', `/v1/projects/${projectId}/files/${file.id}/complete`);
    if (done.status !== 200) throw new Error(`complete: ${done.status}`);
  }
  const ingestion = system.services.ingestion;
  const fileBefore = await metricSum(ingestion, 'jitkb_ingestion_file_duration_seconds_sum');
  const kbBefore = await metricSum(
    ingestion,
    'jitkb_knowledge_base_call_duration_seconds_sum',
    'operation="ingest"',
  );
  const start = performance.now();
  const chat = await api('POST', `/v1/projects/${projectId}/chats`, {});
  if (chat.status !== 201)
    throw new Error(`start chat: ${chat.status} ${JSON.stringify(chat.body)}`);
  const chatId = (chat.body as { id: string }).id;
  let status = (chat.body as { status: string }).status;
  while (status === 'preparing') {
    if (performance.now() - start > READY_TIMEOUT_MS)
      throw new Error('the chat did not become ready');
    await sleep(POLL_MS);
    status = ((await api('GET', `/v1/chats/${chatId}`)).body as { status: string }).status;
  }
  const seconds = (performance.now() - start) / 1000;
  if (status !== 'ready') throw new Error(`the chat ended ${status}`);
  return {
    seconds,
    fileSeconds:
      (await metricSum(ingestion, 'jitkb_ingestion_file_duration_seconds_sum')) - fileBefore,
    kbSeconds:
      (await metricSum(
        ingestion,
        'jitkb_knowledge_base_call_duration_seconds_sum',
        'operation="ingest"',
      )) - kbBefore,
  };
}

interface RawRun {
  /** All the chunks in one call: the embedder's raw throughput (the baseline). */
  seconds: number;
  /** One call per file, as the worker embeds them (explains part of any gap). */
  perFileSeconds: number;
  chunks: number;
}

/** The embedder alone on the same chunks: extraction and chunking as the worker does, untimed. */
async function rawRun(context: BenchContext, files: Buffer[]): Promise<RawRun> {
  // The smoke run only checks the path: without a model it times the synthetic embedder.
  const embedder =
    (await context.embedder()) ?? (context.scale === 'smoke' ? new SyntheticEmbedder() : undefined);
  if (!embedder) throw new Error('no embedding model installed: readiness needs the local model');
  const perFile: string[][] = [];
  for (const [i, body] of files.entries()) {
    const { text } = await extractText({
      body,
      contentType: CONTENT_TYPE,
      fileName: `file-${i}.txt`,
    });
    perFile.push(chunkText(text).map((c) => c.text));
  }
  const start = performance.now();
  await embedder.embedDocuments(perFile.flat());
  const seconds = (performance.now() - start) / 1000;
  const startPerFile = performance.now();
  for (const chunks of perFile) await embedder.embedDocuments(chunks);
  const perFileSeconds = (performance.now() - startPerFile) / 1000;
  return { seconds, perFileSeconds, chunks: perFile.flat().length };
}

export async function runReadiness(context: BenchContext): Promise<SectionResult> {
  const sizes = sizesFor(context);
  // One more set for the warm-up of both sides (first inference, first requests).
  const sets = await makeFiles(context, sizes, sizes.runs + 1);
  const system = await context.system();
  const pipeline: PipelineRun[] = [];
  const raw: RawRun[] = [];
  const token = await system.token(`bench-ready-${Date.now().toString(36)}`, 'alice', 'premium');
  await pipelineRun(system, token, sets[0]!.slice(0, 2));
  await rawRun(context, sets[0]!.slice(0, 2));
  for (let run = 1; run <= sizes.runs; run++) {
    const p = await pipelineRun(system, token, sets[run]!);
    const r = await rawRun(context, sets[run]!);
    pipeline.push(p);
    raw.push(r);
    context.say(
      `readiness: run ${run}: ready in ${fmt(p.seconds)} s; embedder alone ${fmt(r.seconds)} s ` +
        `(file by file ${fmt(r.perFileSeconds)} s) ` +
        `(${r.chunks} chunks, ${fmt(r.chunks / r.seconds, 1)}/s); overhead ${fmt((p.seconds / r.seconds - 1) * 100, 1)} %`,
    );
  }
  const ready = spread(pipeline.map((p) => p.seconds));
  const alone = spread(raw.map((r) => r.seconds));
  const ratio = ratioSpread(
    pipeline.map((p) => p.seconds),
    raw.map((r) => r.seconds),
  );
  const overhead = (ratio.median - 1) * 100;
  const chunks = raw[0]!.chunks;
  const perStage = pipeline.map((p, i) => [
    String(i + 1),
    fmt(p.seconds),
    fmt(p.kbSeconds),
    fmt(p.fileSeconds - p.kbSeconds),
    fmt(p.seconds - p.fileSeconds),
    fmt(raw[i]!.perFileSeconds),
    fmt(raw[i]!.seconds),
  ]);
  const markdown = [
    `${sizes.files} text files of ${sizes.bytes / 1000} KB (SciFact abstracts run together) per run, ` +
      `${chunks} chunks. Through the real system: the five services as separate processes on the embedded ` +
      `adapters (SQLite bus, tables and knowledge base, local object store, local ONNX embedder), reached ` +
      `through the gateway with a dev-issuer token (premium tier). The clock starts at ` +
      `\`POST /v1/projects/{id}/chats\` and stops when \`GET /v1/chats/{chatId}\` (polled every ${POLL_MS} ms) says ` +
      `ready. Baseline, in the same run right after each pipeline run: \`embedDocuments\` of the same chunks ` +
      `(extracted and chunked as the worker does) in the bench process, in one call, then again in one ` +
      `call per file. One warm-up of each first.`,
    '',
    table(
      ['figure', 'median (min–max)'],
      [
        ['chat start → ready (s)', fmtSpread(ready)],
        ['embedder alone, all chunks in one call (s)', fmtSpread(alone)],
        [
          'embedder alone, one call per file as the worker does (s)',
          fmtSpread(spread(raw.map((r) => r.perFileSeconds))),
        ],
        [
          'embedder throughput (chunks/s)',
          fmtSpread(spread(raw.map((r) => r.chunks / r.seconds)), 1),
        ],
        ['ratio pipeline / embedder', fmtSpread(ratio)],
        ['pipeline overhead', `${fmt(overhead, 1)} %`],
      ],
    ),
    '',
    "Where the time goes, from the ingestion service's own metrics (seconds):",
    '',
    table(
      [
        'run',
        'start → ready',
        'knowledge-base ingest (embed + write)',
        'rest of the file handler',
        'outside the handler (bus, chat, polling)',
        'embedder alone, per file',
        'embedder alone, one call',
      ],
      perStage,
    ),
  ].join('\n');
  return {
    id: 'readiness',
    title: 'Just-in-time readiness',
    markdown,
    charts: [
      {
        file: 'readiness.svg',
        alt: 'chat start to ready against the embedder alone',
        svg: barChart({
          title: `${sizes.files} files of ${sizes.bytes / 1000} KB: start to ready (s)`,
          yLabel: 'seconds',
          categories: pipeline.map((_, i) => `run ${i + 1}`),
          series: [
            { name: 'pipeline', values: pipeline.map((p) => p.seconds) },
            { name: 'embedder, per file', values: raw.map((r) => r.perFileSeconds) },
            { name: 'embedder, one call', values: raw.map((r) => r.seconds) },
          ],
        }),
      },
    ],
    targets: [
      {
        name: 'pipeline overhead over the raw embedder',
        target: '<= 15 %',
        measured: `${fmt(overhead, 1)} % (ratio ${fmtSpread(ratio)})`,
        met: context.scale === 'smoke' ? undefined : overhead <= 15,
      },
    ],
    data: { pipeline, raw },
  };
}
