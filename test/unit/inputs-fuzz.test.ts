// Bad input at scale: for every action, values generated from its action.yml and its typed input
// spec — wrong types, out-of-range numbers and durations, unknown enum values, broken URLs, line
// breaks and NULs in single-line inputs, huge values — each one must be refused with one line that
// names the input, repeats no more than a bounded part of the value, and never a secret's.
import fc from 'fast-check';
import { InputError, UserError, clearSecrets, readInputs } from '@kubeline/runtime';
import { ACTIONS, filler, targets } from '../support/input-fuzz.js';

const RUNS = 200;

describe.each(ACTIONS.map(([meta, spec]) => [meta.name, meta, spec] as const))(
  '%s: generated bad input',
  (_name, meta, spec) => {
    const candidates = targets(spec);

    it(`${RUNS} cases: refused with one line naming the input, the value bounded, no secret echoed`, () => {
      expect(candidates.length).toBeGreaterThan(0);
      const secretNames = Object.entries(spec)
        .filter(([, p]) => p.secret)
        .map(([n]) => n);
      fc.assert(
        fc.property(
          fc
            .integer({ min: 0, max: candidates.length - 1 })
            .chain((i) =>
              fc.tuple(
                fc.constant(candidates[i]![0]),
                candidates[i]![1],
                filler,
                fc.string({ minLength: 12, maxLength: 24 }),
              ),
            ),
          ([name, bad, fill, secret]) => {
            clearSecrets();
            const env: NodeJS.ProcessEnv = {};
            // The inputs before it hold hostile filler (valid or not for them, parsing stops at the first refusal).
            for (const n of Object.keys(spec)) {
              if (n === name) break;
              if (spec[n]!.type === 'string' || spec[n]!.type === 'multiline text')
                env[`INPUT_${n.toUpperCase()}`] = fill;
            }
            for (const s of secretNames) env[`INPUT_${s.toUpperCase()}`] = `planted-${secret}`;
            env[`INPUT_${name.toUpperCase()}`] = bad;
            let error: unknown;
            try {
              readInputs(meta, spec, env);
            } catch (e) {
              error = e;
            }
            expect(error).toBeInstanceOf(UserError);
            const message = (error as Error).message;
            expect(message).not.toMatch(/[\r\n]/);
            expect(message.length).toBeLessThan(700);
            expect(message).toMatch(/^input "[a-z0-9-]+"/);
            if (error instanceof InputError) expect(Object.keys(meta.inputs)).toContain(error.input);
            expect(message).not.toContain(`planted-${secret}`);
          },
        ),
        { numRuns: RUNS, seed: 20261201 },
      );
    });
  },
);
