// Unit tests: real processes, files and loopback servers, but no cluster. e2e: jest.e2e.config.js.
import { shared } from './jest.shared.js';

export default {
  ...shared,
  displayName: 'unit',
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'],
  testTimeout: 60000,
  // jest's default on 2 cores is one worker, which kept the machine about half idle
  maxWorkers: '100%',
};
