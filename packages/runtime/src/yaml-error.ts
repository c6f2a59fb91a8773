// A YAML parse error as one line of a user error: where (line) and what, never the offending text
// (which may be a secret from a kubeconfig or values file).
import type { YAMLError } from 'yaml';

/** The line of a quoted value that is never closed: the parser only notices at the end of the text. */
function unclosedQuoteLine(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  const i = lines.findIndex((l) => /:\s*(["'])(?:(?!\1).)*$/.test(l.replace(/\s+#.*$/, '')));
  return i < 0 ? undefined : i + 1;
}

/** `at line N: reason` (or just `: reason` when the parser gives no position). */
export function yamlErrorLine(err: YAMLError, text: string): string {
  const quoteLine =
    err.code === 'MISSING_CHAR' && /quote/.test(err.message) ? unclosedQuoteLine(text) : undefined;
  const line = quoteLine ?? err.linePos?.[0].line;
  const reason = quoteLine
    ? 'a quoted value is never closed'
    : err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `${line ? ` at line ${line}` : ''}: ${reason}`;
}
