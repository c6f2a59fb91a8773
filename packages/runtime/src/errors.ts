/**
 * Failures kubeline expects are reported in one line without a stack; anything else is a bug and
 * keeps its stack so it can be reported.
 */
export class KubelineError extends Error {
  /** Extra lines printed under the message (e.g. a tool's stderr tail). */
  readonly details: string[];
  constructor(message: string, details: string[] = []) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** A mistake in what the user gave us: an input, a file, a reference. */
export class UserError extends KubelineError {}

/** An input whose value is not allowed. The message names the input, the value and what is allowed. */
export class InputError extends UserError {
  constructor(
    readonly input: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super(`input "${input}": ${JSON.stringify(value)} is not valid; ${allowed}`);
  }
}

export function isExpectedFailure(err: unknown): err is KubelineError {
  return err instanceof KubelineError;
}
