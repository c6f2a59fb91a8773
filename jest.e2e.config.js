// End-to-end tests on the real stack (test/stack), two files at a time: each test works in its own
// namespace, and the files that share fixed names take a lock (test/e2e/harness/exclusive.ts).
import { shared } from './jest.shared.js';

/** Files that take down a part of the shared stack: run afterwards, alone (jest.e2e-alone.config.js). */
export const alone = ['apiserver-restart'];

export const e2e = {
  ...shared,
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  globalSetup: '<rootDir>/test/e2e/global-setup.ts',
  globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
  testSequencer: '<rootDir>/test/e2e/sequencer.js',
  testTimeout: 300000,
};

export default {
  ...e2e,
  testPathIgnorePatterns: ['/node_modules/', ...alone.map((name) => `/test/e2e/${name}\\.test\\.ts$`)],
  // the suite mostly waits on rollouts, traffic and processes: one worker kept 2 cores ~30% busy
  maxWorkers: 2,
};
