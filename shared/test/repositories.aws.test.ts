import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTableStore } from '../src/adapters/aws/dynamo-table-store';
import { provisionTables, tableNamesFor } from '../src/adapters/aws/provision/tables';
import { testAwsEndpoint, uniquePrefix } from '../src/testing';
import type { OpenStore } from './repositories/fixture';
import { describeFilesRepository } from './repositories/files.suite';
import { describeKbFilesRepository } from './repositories/kb-files.suite';
import { describeProjectsRepository } from './repositories/projects.suite';

// Tables of their own per suite, so that the kb-files shard queries see only this suite's records.
const open: OpenStore = async () => {
  const dynamodb = new DynamoDBClient({ endpoint: testAwsEndpoint(), region: 'us-east-1' });
  const tableNames = tableNamesFor(uniquePrefix('repos'));
  await provisionTables({ dynamodb, tableNames });
  return {
    store: new DynamoTableStore({ client: dynamodb, tableNames }),
    async cleanup() {
      dynamodb.destroy();
    },
  };
};

describeProjectsRepository('DynamoDB on moto', open);
describeFilesRepository('DynamoDB on moto', open);
describeKbFilesRepository('DynamoDB on moto', open);
