/*
 * The gateway benchmark's baseline: a bare express app in a process of its own, answering
 * `GET /v1/projects` with the same JSON body the real system answered, on loopback.
 *   tsx bench/gateway/bare-server.ts '{"port":N,"body":"..."}'
 */
import express from 'express';

const { port, body } = JSON.parse(process.argv[2] ?? '') as { port: number; body: string };
const answer = JSON.parse(body) as unknown;
const app = express();
// Serialised per request, as the project service does.
app.get('/v1/projects', (_req, res) => {
  res.json(answer);
});
const server = app.listen(port, '127.0.0.1', () => process.stdout.write('LISTENING\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
