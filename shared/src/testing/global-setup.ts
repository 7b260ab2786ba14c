import { startMoto, type MotoServer } from './moto';

declare global {
  var __JITKB_MOTO__: MotoServer | undefined;
}

/**
 * Starts one moto server for the whole test run; tests read its address from
 * JITKB_TEST_AWS_ENDPOINT. A missing emulator fails the run: the aws suites never skip.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.JITKB_TEST_AWS_ENDPOINT) return;
  const moto = await startMoto();
  globalThis.__JITKB_MOTO__ = moto;
  process.env.JITKB_TEST_AWS_ENDPOINT = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  process.env.AWS_REGION ??= 'us-east-1';
}
