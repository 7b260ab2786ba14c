/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@jitkb/source', 'node', 'require', 'default'],
  },
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // ESM-only dependencies are compiled to CommonJS for jest; the runtime loads them natively.
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  roots: ['<rootDir>/shared', '<rootDir>/services', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/shared/src/testing/global-setup.ts',
  globalTeardown: '<rootDir>/shared/src/testing/global-teardown.ts',
  testTimeout: 30000,
};
