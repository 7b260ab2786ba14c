export default async function globalTeardown(): Promise<void> {
  await globalThis.__JITKB_MOTO__?.stop();
}
