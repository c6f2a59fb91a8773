// npm run stack:up | stack:status | stack:down — see test/stack/README.md.
import { down, status, up, UnitError } from './stack.js';

const log = (line: string) => console.log(line);

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      await up(log);
      return 0;
    case 'status':
      return (await status(log)) ? 0 : 1;
    case 'down':
      await down(log);
      return 0;
    default:
      console.error('usage: tsx test/stack/cli.ts up|status|down');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UnitError) {
      console.error(`stack:${process.argv[2]}: ${error.message}`);
      if (error.logTail) console.error(`--- log tail: ${error.logTail}`);
    } else {
      console.error(`stack:${process.argv[2]}:`, error);
    }
    process.exit(1);
  },
);
