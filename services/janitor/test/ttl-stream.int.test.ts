import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { testAwsEndpoint } from '@jitkb/shared/testing';
import { ttlExpiryEvents } from '../src/handlers/ttl-stream';
import { startHarness, waitFor, type Harness } from './harness';

const TEXT = 'Tide tables predict the sea.\n\nThe moon pulls the water twice a day.';

/** Every record of the table's stream so far (moto's server keeps one shard per table). */
async function readStream(streams: DynamoDBStreamsClient, table: string): Promise<StreamRecord[]> {
  const { Streams } = await streams.send(new ListStreamsCommand({ TableName: table }));
  const streamArn = Streams?.[0]?.StreamArn;
  if (!streamArn) throw new Error(`${table} has no stream`);
  const { StreamDescription } = await streams.send(
    new DescribeStreamCommand({ StreamArn: streamArn }),
  );
  const records: StreamRecord[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
    records.push(...(page.Records ?? []));
  }
  return records;
}

/**
 * The TTL path on moto's server: kb-files on DynamoDB with its stream, the janitor's queue on SQS.
 * moto never deletes items on TTL, and its REMOVE records carry no `userIdentity`; so the test
 * deletes the record itself, reads the REMOVE from the stream, and gives it the identity that AWS
 * gives a TTL deletion ({type: Service, principalId: dynamodb.amazonaws.com}) before it goes the
 * way the Pipe sends it: an envelope on the janitor's queue, consumed by the real handler.
 */
describe('TTL deletions on the kb-files stream (moto)', () => {
  let h: Harness;
  let streams: DynamoDBStreamsClient;
  let sqs: SQSClient;
  beforeAll(async () => {
    h = await startHarness({ aws: true });
    const client = { region: 'us-east-1', endpoint: testAwsEndpoint() };
    streams = new DynamoDBStreamsClient(client);
    sqs = new SQSClient(client);
  });
  afterAll(async () => {
    streams.destroy();
    sqs.destroy();
    await h.close();
  });

  it("turns a stream REMOVE with the TTL identity into the removal of the file's chunks", async () => {
    const ref = await h.seedFile({
      tenantId: 't-moto',
      projectId: 'p-moto',
      text: TEXT,
      ttlSeconds: -5,
    });
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(2);
    expect(
      await h.kbFiles.deleteIfExpired(ref.fileId, Math.floor(Date.now() / 1000)),
    ).toBeDefined();

    const records = await readStream(streams, h.kbFilesTable ?? '');
    const removal = records.find(
      (record) => record.eventName === 'REMOVE' && record.dynamodb?.Keys?.fileId?.S === ref.fileId,
    );
    if (!removal) throw new Error('no REMOVE record for the file on the stream');
    // As moto delivers it, the REMOVE looks like anyone's delete, and the filter passes it by.
    expect(ttlExpiryEvents(records).events).toEqual([]);

    // What AWS sets on a deletion made by its TTL process (moto sets none).
    const ttlDeletion = {
      ...removal,
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    };
    const { events, malformed } = ttlExpiryEvents([ttlDeletion]);
    expect(malformed).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'file.expired',
      tenantId: ref.tenantId,
      data: { projectId: ref.projectId, fileId: ref.fileId },
    });

    // The Pipe's delivery: the bare envelope on the janitor's queue.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: h.janitorQueueUrl,
        MessageBody: JSON.stringify(events[0]),
      }),
    );
    h.startConsumer();
    await waitFor('the chunks to go', async () =>
      (await h.knowledgeBase.countChunks(ref.fileId)) === 0 ? true : undefined,
    );
    await waitFor('the file to be expired', async () =>
      (await h.files.get(ref))?.status === 'expired' ? true : undefined,
    );
  });
});
