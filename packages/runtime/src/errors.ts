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

/** How much of a rejected value an error repeats: enough to recognise it, never a megabyte. */
const SHOWN = 120;

/** An input whose value is not allowed. The message names the input, the value and what is allowed. */
export class InputError extends UserError {
  constructor(
    readonly input: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    const shown = value.length > SHOWN ? `${value.slice(0, SHOWN)}… (${value.length} characters)` : value;
    // JSON.stringify: newlines and control characters stay escaped, so the message is one line.
    super(`input "${input}": ${JSON.stringify(shown)} is not valid; ${allowed.replace(/\s*\n\s*/g, ' ')}`);
  }
}

export function isExpectedFailure(err: unknown): err is KubelineError {
  return err instanceof KubelineError;
}
