import {
  ConfigError,
  loadConfig,
  loadTierConfig,
  port,
  serviceSchema,
  tierEnv,
} from '@jitkb/shared';

const schema = serviceSchema({ PORT: port.default(8080), ...tierEnv });

describe('loadConfig', () => {
  it('defaults to the embedded mode', () => {
    const config = loadConfig(schema, {});
    expect(config.JITKB_MODE).toBe('embedded');
    expect(config.PORT).toBe(8080);
  });

  it('names the variable but never its value', () => {
    const secret = 'sup3r-s3cret-value';
    expect.assertions(3);
    try {
      loadConfig(schema, { JITKB_MODE: 'aws', AWS_REGION: 'eu-west-1', EVENTS_TOPIC_ARN: secret });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('EVENTS_TOPIC_ARN');
      expect((error as ConfigError).message).not.toContain(secret);
    }
  });

  it('requires topic, bucket and tables in aws mode', () => {
    expect(() => loadConfig(schema, { JITKB_MODE: 'aws', AWS_REGION: 'eu-west-1' })).toThrow(
      /BUCKET_NAME.*TABLE_PROJECTS/s,
    );
  });

  it('rejects an unknown mode and a port out of range', () => {
    expect(() => loadConfig(schema, { JITKB_MODE: 'cloud' })).toThrow(/JITKB_MODE/);
    expect(() => loadConfig(schema, { PORT: '70000' })).toThrow(/PORT/);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig(schema, {}))).toBe(true);
  });
});

describe('loadTierConfig', () => {
  it('has the default tiers', () => {
    const { tiers } = loadTierConfig({});
    expect(Object.keys(tiers)).toEqual(['free', 'standard', 'premium']);
    expect(tiers.free?.maxFilesPerProject).toBe(5);
  });

  it('takes any number of tiers from TIERS', () => {
    const limits = {
      maxFilesPerProject: 2,
      ttlSeconds: 20,
      maxFileBytes: 1000,
      queriesPerMinute: 3,
      ingestJobsPerMinute: 4,
    };
    const { tiers } = loadTierConfig({ TIERS: JSON.stringify({ tiny: limits }) });
    expect(tiers).toEqual({ tiny: limits });
  });

  it('names TIERS when its JSON is invalid or a limit is missing', () => {
    expect(() => loadTierConfig({ TIERS: '{nope' })).toThrow(/TIERS/);
    expect(() => loadTierConfig({ TIERS: JSON.stringify({ x: { ttlSeconds: 1 } }) })).toThrow(
      /maxFilesPerProject/,
    );
  });

  it('rejects a tenant assigned to an unknown tier', () => {
    expect(() => loadTierConfig({ TENANTS: JSON.stringify({ acme: 'gold' }) })).toThrow(
      /unknown tier/,
    );
  });
});
