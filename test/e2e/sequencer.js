// Orders the e2e files as jest does (slowest first once timings are cached, else largest first),
// then puts the second example-pipeline file last: the two share fixed namespaces and a lock
// (harness/exclusive.ts), so apart they never leave a worker waiting on the other.
import Sequencer from '@jest/test-sequencer';

const last = /examples-github\.test\.ts$/;

export default class E2ESequencer extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    return [...sorted.filter((t) => !last.test(t.path)), ...sorted.filter((t) => last.test(t.path))];
  }
}
