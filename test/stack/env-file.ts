// The KEY=value format of .stack/env (sourceable by sh, readable as a dotenv file).

export type StackEnv = Record<string, string>;

/** Values are plain paths/URLs/base64url: no quoting needed, and none is added (dotenv-compatible). */
export function renderEnv(env: StackEnv): string {
  return Object.entries(env)
    .map(([key, value]) => {
      if (/[\s'"$`\\]/.test(value)) throw new Error(`.stack/env: ${key} has a character that needs quoting`);
      return `${key}=${value}\n`;
    })
    .join('');
}

export function parseEnv(text: string): StackEnv {
  const env: StackEnv = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1]) env[match[1]] = match[2] ?? '';
  }
  return env;
}
