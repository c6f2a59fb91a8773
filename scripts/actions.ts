import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every folder under actions/ that has an action.yml. */
export function actionNames(): string[] {
  return fs
    .readdirSync(path.join(ROOT, 'actions'))
    .filter((d) => fs.existsSync(path.join(ROOT, 'actions', d, 'action.yml')))
    .sort();
}
