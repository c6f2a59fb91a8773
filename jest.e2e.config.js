// End-to-end tests on the real stack (test/stack): one worker, since they share one cluster.
import { shared } from './jest.shared.js';

export default {
  ...shared,
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  globalSetup: '<rootDir>/test/e2e/global-setup.ts',
  globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
  testTimeout: 300000,
  maxWorkers: 1,
};
