// The two kinds of units the stack is made of.
import type { DaemonSpec } from './processes.js';

/** A long-running process the stack starts, health-checks and stops by PID. */
export interface Daemon {
  kind: 'daemon';
  name: string;
  /** 127.0.0.1 ports it listens on: checked free before it starts. */
  ports: number[];
  /** Writes its configuration (idempotent) and returns how to run it. */
  prepare(): Promise<Omit<DaemonSpec, 'name'>>;
  /** Resolves with a short detail when healthy; throws the reason otherwise. */
  health(): Promise<string>;
  startTimeoutMs: number;
  /** Undoes anything it wrote outside .stack (stack:down). */
  cleanup?(): Promise<void>;
}

/** A one-time set-up (objects, files, images) that stack:up ensures and stack:status checks. */
export interface Step {
  kind: 'step';
  name: string;
  ensure(): Promise<void>;
  health(): Promise<string>;
}

export type Unit = Daemon | Step;

export interface PlannedUnit {
  unit: Unit;
  after: string[];
}
