/** The emulator started by the test run's global setup; throws when there is none. */
export function testAwsEndpoint(): string {
  const endpoint = process.env.JITKB_TEST_AWS_ENDPOINT;
  if (!endpoint)
    throw new Error('JITKB_TEST_AWS_ENDPOINT is not set: the jest global setup starts moto');
  return endpoint;
}

/** A short unique prefix so that each test suite has resources of its own on the shared emulator. */
export function uniquePrefix(label: string): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-${label}`.toLowerCase();
}
