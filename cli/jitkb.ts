/**
 * `jitkb`: the command-line client of a jitkb gateway (bin/jitkb.js runs it with tsx).
 *
 *   jitkb token --tenant T --user U [--tier free] [--email E]
 *   jitkb ingest DIR --project NAME
 *   jitkb ask PROJECT "question" [--chat ID]
 *   jitkb eval --dataset DIR [...]
 *
 * The gateway is JITKB_URL (default http://localhost:8080). Requests carry JITKB_TOKEN (or
 * --token); without one, --tenant and --user ask the embedded dev issuer for a token.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  ApiClient,
  ApiError,
  fetchUiConfig,
  requestDevToken,
} from '../services/gateway/ui/api-client';
import { ask, type Output } from './chat';
import { ingest } from './ingest';

const USAGE = `usage:
  jitkb token --tenant T --user U [--tier TIER] [--email EMAIL]
  jitkb ingest DIR --project NAME [--timeout SECONDS]
  jitkb ask PROJECT "question" [--chat CHAT_ID] [--timeout SECONDS]
  jitkb eval --dataset DIR [--mode hybrid|bm25|dense] [--queries N]

options for every command:
  --url URL       the gateway (env JITKB_URL, default http://localhost:8080)
  --token TOKEN   a bearer token (env JITKB_TOKEN)
  --tenant T --user U [--tier TIER] [--email EMAIL]
                  without a token: sign in with the embedded dev issuer
`;

const AUTH_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  tenant: { type: 'string' },
  user: { type: 'string' },
  tier: { type: 'string' },
  email: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const COMMAND_OPTIONS = {
  ...AUTH_OPTIONS,
  project: { type: 'string' },
  chat: { type: 'string' },
  timeout: { type: 'string' },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseCommand>['values'];

function parseCommand(args: string[]) {
  return parseArgs({ args, options: COMMAND_OPTIONS, allowPositionals: true, strict: true });
}

class UsageError extends Error {}

const io: Output = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(`${text}\n`),
};

function baseUrl(values: Values): string {
  return values.url ?? process.env.JITKB_URL ?? 'http://localhost:8080';
}

/** The token to send: given, from the environment, or minted by the embedded dev issuer. */
async function resolveToken(values: Values): Promise<string> {
  const given = values.token ?? process.env.JITKB_TOKEN;
  if (given) return given;
  return mintToken(values);
}

async function mintToken(values: Values): Promise<string> {
  if (!values.tenant || !values.user) {
    throw new UsageError('set JITKB_TOKEN, or give --tenant and --user (embedded mode)');
  }
  const token = await requestDevToken(baseUrl(values), {
    tenantId: values.tenant,
    userId: values.user,
    ...(values.tier ? { tier: values.tier } : {}),
    ...(values.email ? { email: values.email } : {}),
  });
  return token.access_token;
}

async function client(values: Values): Promise<ApiClient> {
  const token = await resolveToken(values);
  return new ApiClient({ baseUrl: baseUrl(values), token: () => token });
}

function timeoutMs(values: Values): number {
  const seconds = Number(values.timeout ?? 300);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError('--timeout must be a positive number of seconds');
  return seconds * 1000;
}

/** `jitkb eval`: scripts/eval.ts does the work; this passes the arguments through unchanged. */
function runEval(args: string[]): Promise<number> {
  const script = path.resolve(__dirname, '../scripts/eval.ts');
  // The same node flags (tsx's loader, the @jitkb/source condition) this process runs with.
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'eval') {
    if (!rest.includes('--dataset') && !rest.some((a) => a.startsWith('--dataset='))) {
      throw new UsageError('jitkb eval needs --dataset DIR');
    }
    return runEval(rest);
  }
  const { values, positionals } = parseCommand(rest);
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  switch (command) {
    case 'token': {
      if (positionals.length > 0) throw new UsageError('jitkb token takes no arguments');
      io.out(`${await mintToken(values)}\n`);
      return 0;
    }
    case 'ingest': {
      const [dir] = positionals;
      if (!dir || positionals.length > 1 || !values.project) {
        throw new UsageError('jitkb ingest DIR --project NAME');
      }
      const api = await client(values);
      const { supportedTypes } = await fetchUiConfig(baseUrl(values));
      await ingest(
        api,
        {
          dir: path.resolve(dir),
          project: values.project,
          timeoutMs: timeoutMs(values),
          supportedTypes,
        },
        io,
      );
      return 0;
    }
    case 'ask': {
      const [project, question] = positionals;
      if (!project || !question || positionals.length > 2) {
        throw new UsageError('jitkb ask PROJECT "question"');
      }
      const api = await client(values);
      await ask(api, { project, question, chatId: values.chat, timeoutMs: timeoutMs(values) }, io);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError &&
        'code' in error &&
        String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`jitkb: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    const message =
      error instanceof ApiError
        ? error.describe()
        : error instanceof Error
          ? error.message
          : String(error);
    const cause =
      error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    process.stderr.write(`jitkb: ${message}${cause}\n`);
    process.exitCode = 1;
  },
);
