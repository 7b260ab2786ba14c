import { createdFileView, type FileView } from '@jitkb/shared';
import { uploadThrough } from '../../e2e/client';
import type { Define } from '../support/define';
import { recordFigures } from '../support/figures';
import { isProblem, type Reply } from '../support/http';
import { ODD_UNICODE } from '../support/openapi-fuzz';
import { snapshot, TIERS } from '../support/rig';
import { SIZES } from '../support/sizes';
import { prepareFixture } from './bad-input';

/**
 * Inputs at and over the limits: bodies, uploads that do not match what was declared, names with
 * traversal and odd unicode, long questions. No 5xx; a 4xx is a problem that changes nothing.
 */
export function describeLimits(define: Define): void {
  define(
    'refuses bodies, uploads, names and questions over the limits without a 5xx',
    async (rig) => {
      const f = await prepareFixture(rig, 'edges');
      const { tenant, projectId, chatId } = f;
      const findings: string[] = [];
      let requests = 0;
      /** The tenant's state after the last request. */
      let state = await snapshot(tenant, [chatId]);
      /** One request; a 4xx must be a problem and leave the tenant as it was. */
      const check = async (what: string, call: () => Promise<Reply>, expected?: number[]) => {
        requests += 1;
        let reply: Reply;
        try {
          reply = await call();
        } catch (error) {
          findings.push(`${what}: ${(error as Error).message}`);
          return undefined;
        }
        if (reply.status >= 500)
          findings.push(`${what}: ${reply.status} ${reply.text.slice(0, 200)}`);
        if (expected && !expected.includes(reply.status)) {
          findings.push(
            `${what}: expected ${expected.join('/')}, got ${reply.status} ${reply.text.slice(0, 200)}`,
          );
        }
        const before = state;
        state = await snapshot(tenant, [chatId]);
        if (reply.status >= 400 && reply.status < 500) {
          if (!isProblem(reply)) findings.push(`${what}: ${reply.status} is not problem+json`);
          if (JSON.stringify(state) !== JSON.stringify(before)) {
            findings.push(
              `${what}: the ${reply.status} changed the state from ${JSON.stringify(before)} to ${JSON.stringify(state)}`,
            );
          }
        }
        return reply;
      };
      const files = `/v1/projects/${projectId}/files`;
      const maxBytes = TIERS.bulk!.maxFileBytes;

      // Bodies over the limit and malformed beyond the schema.
      await check(
        'a 100 KB project name',
        () => tenant.api('POST', '/v1/projects', { name: 'x'.repeat(100_000) }),
        [413],
      );
      await check(
        'a 5 MB body',
        () =>
          tenant.api('POST', '/v1/projects', undefined, {
            raw: `{"name":"${'x'.repeat(5_000_000)}"}`,
            contentType: 'application/json',
          }),
        [413],
      );
      await check(
        'JSON nested 5000 deep',
        () =>
          tenant.api('POST', '/v1/projects', undefined, {
            raw: `${'['.repeat(5000)}${']'.repeat(5000)}`,
            contentType: 'application/json',
          }),
        [400],
      );
      await check(
        'an empty JSON body',
        () =>
          tenant.api('POST', '/v1/projects', undefined, {
            raw: '',
            contentType: 'application/json',
          }),
        [400],
      );
      await check(
        'a body without a content type',
        () => tenant.api('POST', '/v1/projects', undefined, { raw: '{"name":"x"}' }),
        [415],
      );
      await check(
        'JSON in UTF-16',
        () =>
          tenant.api('POST', '/v1/projects', undefined, {
            raw: Buffer.from('{"name":"x"}', 'utf16le'),
            contentType: 'application/json; charset=utf-16',
          }),
        [400, 415],
      );

      // Files over the tier's limits, of unsupported types, and uploads that do not match.
      await check(
        'a file over the tier size',
        () =>
          tenant.api('POST', files, {
            name: 'big.txt',
            contentType: 'text/plain',
            size: maxBytes + 1,
          }),
        [413],
      );
      await check(
        'a file of 2^53 bytes',
        () =>
          tenant.api('POST', files, { name: 'big.txt', contentType: 'text/plain', size: 2 ** 53 }),
        [400, 413],
      );
      await check(
        'an unsupported type',
        () => tenant.api('POST', files, { name: 'a.png', contentType: 'image/png', size: 10 }),
        [415],
      );
      await check(
        'a type with odd unicode',
        () =>
          tenant.api('POST', files, {
            name: 'a.txt',
            contentType: `text/plain${ODD_UNICODE.join('')}`,
            size: 10,
          }),
        [400, 415],
      );
      const uploads: Array<[string, string, Buffer, Record<string, string>]> = [
        ['more bytes than declared', 'text/plain', Buffer.alloc(11, 'a'), {}],
        ['a megabyte more than declared', 'text/plain', Buffer.alloc(1024 * 1024, 'a'), {}],
        [
          'another content type',
          'text/plain',
          Buffer.alloc(10, 'a'),
          { 'Content-Type': 'text/html' },
        ],
      ];
      let refusedUploads = 0;
      for (const [what, contentType, content, override] of uploads) {
        const created = await check(
          `create for ${what}`,
          () => tenant.api('POST', files, { name: 'u.txt', contentType, size: 10 }),
          [201],
        );
        if (!created || created.status !== 201) continue;
        const file = createdFileView.parse(created.body);
        const target = {
          ...file.upload,
          ...(file.upload.headers ? { headers: { ...file.upload.headers, ...override } } : {}),
          ...(file.upload.fields ? { fields: { ...file.upload.fields, ...override } } : {}),
        };
        let uploadStatus = 0;
        try {
          uploadStatus = await uploadThrough(target, content);
        } catch {
          uploadStatus = -1; // the store cut the connection: refused
        }
        if (uploadStatus >= 500)
          findings.push(`upload with ${what}: the store answered ${uploadStatus}`);
        if (uploadStatus < 200 || uploadStatus >= 300) refusedUploads += 1;
        await check(
          `complete after ${what}`,
          () => tenant.api('POST', `${files}/${file.id}/complete`),
          [409],
        );
        const listed = ((await tenant.api('GET', files)).body as { items: FileView[] }).items;
        const status = listed.find((item) => item.id === file.id)?.status;
        if (status !== 'pending-upload')
          findings.push(`upload with ${what}: the file became ${status}`);
        await check(
          `delete after ${what}`,
          () => tenant.api('DELETE', `${files}/${file.id}`),
          [204],
        );
      }

      // Names with traversal and odd unicode: refused, or kept only for display and sanitised.
      // The subset takes the first ones: traversal, bidi, NUL, lone surrogate, long, empty once cleaned.
      const names = [
        '../../etc/passwd',
        '..\\..\\windows\\win.ini',
        '\u202Etxt.exe',
        'nul\u0000byte.txt',
        'lone\uD800surrogate.txt',
        '\u{1F600}'.repeat(300),
        '\u200B\u200B',
        'x'.repeat(1025),
        '/etc/shadow',
        'a/b/c.txt',
        'e\u0301.txt',
        'CON',
        ' ',
        '%2e%2e%2f.txt',
        '\uFF0E\uFF0E\uFF0Fx.txt',
        'x'.repeat(1024),
        ...ODD_UNICODE.map((c) => `odd${c}.txt`),
      ].slice(0, SIZES.edgeNames);
      let acceptedNames = 0;
      for (const name of names) {
        for (const [kind, path, body] of [
          ['file', files, { name, contentType: 'text/plain', size: 10 }],
          ['project', '/v1/projects', { name }],
        ] as const) {
          const reply = await check(`${kind} name ${JSON.stringify(name).slice(0, 40)}`, () =>
            tenant.api('POST', path, body),
          );
          if (!reply || reply.status !== 201) continue;
          acceptedNames += 1;
          const view = reply.body as { id: string; name: string };
          if (
            /[/\\\p{Cc}\p{Cf}]/u.test(view.name) ||
            view.name.length === 0 ||
            [...view.name].length > 200
          ) {
            findings.push(
              `${kind} name ${JSON.stringify(name).slice(0, 40)} kept as ${JSON.stringify(view.name).slice(0, 60)}`,
            );
          }
          const removePath = kind === 'file' ? `${files}/${view.id}` : `/v1/projects/${view.id}`;
          await check(`delete ${kind} ${view.id}`, () => tenant.api('DELETE', removePath), [204]);
        }
      }

      // Questions: over the limit, at the limit, odd unicode, a streamed answer to a bad body.
      const messages = `/v1/chats/${chatId}/messages`;
      await check(
        'a question of 4001 characters',
        () => tenant.api('POST', messages, { question: 'x'.repeat(4001) }),
        [400],
      );
      await check(
        'a question of 1 MB',
        () => tenant.api('POST', messages, { question: 'x'.repeat(1_000_000) }),
        [413],
      );
      await check('an empty question', () => tenant.api('POST', messages, { question: '' }), [400]);
      await check(
        'a streamed answer to a bad body',
        () =>
          tenant.api(
            'POST',
            messages,
            { question: 1 },
            { headers: { accept: 'text/event-stream' } },
          ),
        [400],
      );
      await check(
        'a question of 4000 characters',
        () =>
          tenant.api('POST', messages, {
            question: 'When does the harbour open? '.repeat(143).slice(0, 4000),
          }),
        [200],
      );
      await check(
        'a question of odd unicode',
        () =>
          tenant.api('POST', messages, {
            question: ODD_UNICODE.filter((c) => !/\p{Cs}/u.test(c)).join(' '),
          }),
        [200],
      );
      await check(
        'a question with a lone surrogate',
        () => tenant.api('POST', messages, { question: 'When\uD800 does it open?' }),
        [400],
      );
      await check(
        'a question of 4000 emoji code units',
        () => tenant.api('POST', messages, { question: '\u{1F600}'.repeat(2000) }),
        [200],
      );

      recordFigures(rig.mode, 'bad input: limits, uploads, names, questions', {
        requests,
        'uploads refused by the store (of 3)': refusedUploads,
        'odd names accepted and sanitised': acceptedNames,
        findings: findings.length,
      });
      expect(findings).toEqual([]);
    },
    300_000,
  );
}
