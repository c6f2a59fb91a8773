// The e2e files that take down a part of the shared stack (the API server, the controllers): one
// worker, after the rest (scripts/test.ts), so no other test sees the outage.
import { alone, e2e } from './jest.e2e.config.js';

export default {
  ...e2e,
  displayName: 'e2e, alone',
  testMatch: alone.map((name) => `<rootDir>/test/e2e/${name}.test.ts`),
  maxWorkers: 1,
};
