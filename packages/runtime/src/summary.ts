import fs from 'node:fs';
import path from 'node:path';
import { detectPlatform, reportDir } from './platform.js';
import { mask } from './log.js';

const escapeCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');

/** Markdown for the job summary: GitHub's step summary, or a file on GitLab and the CLI. */
export class Summary {
  private readonly parts: string[] = [];

  heading(text: string, level = 2): this {
    this.parts.push(`${'#'.repeat(level)} ${text}`);
    return this;
  }
  text(markdown: string): this {
    this.parts.push(markdown);
    return this;
  }
  table(header: string[], rows: string[][]): this {
    const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
    this.parts.push([line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n'));
    return this;
  }
  details(title: string, body: string): this {
    this.parts.push(`<details><summary>${title}</summary>\n\n${body}\n\n</details>`);
    return this;
  }
  code(body: string, lang = ''): this {
    this.parts.push(`\`\`\`${lang}\n${body}\n\`\`\``);
    return this;
  }
  mermaid(diagram: string): this {
    return this.code(diagram, 'mermaid');
  }
  get isEmpty(): boolean {
    return this.parts.length === 0;
  }
  toString(): string {
    return mask(this.parts.join('\n\n')) + '\n';
  }

  /** Appends to the summary file and returns its path (undefined when there is nothing to write). */
  write(action: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (this.isEmpty) return undefined;
    const file =
      detectPlatform(env) === 'github' && env.GITHUB_STEP_SUMMARY
        ? env.GITHUB_STEP_SUMMARY
        : env.KUBELINE_SUMMARY_FILE || path.join(reportDir(env), `kubeline-${action}-summary.md`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, this.toString());
    return file;
  }
}
