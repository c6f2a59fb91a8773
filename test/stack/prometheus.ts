// Debian Prometheus scraping every second whatever targets tests drop into .stack/prometheus/targets.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { host, ports, urls } from './addresses.js';
import type { Daemon } from './component.js';
import { paths } from './paths.js';
import { expectOk } from './probes.js';

export const prometheus: Daemon = {
  kind: 'daemon',
  name: 'prometheus',
  ports: [ports.prometheus],
  startTimeoutMs: 60_000,
  async prepare() {
    mkdirSync(paths.promTargets, { recursive: true });
    const config = join(paths.prometheus, 'prometheus.yml');
    writeFileSync(
      config,
      stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        scrape_configs: [
          {
            job_name: 'kubeline-e2e',
            file_sd_configs: [{ files: [join(paths.promTargets, '*.json')], refresh_interval: '1s' }],
          },
        ],
      }),
    );
    return {
      argv: [
        'prometheus',
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(paths.prometheus, 'data')}`,
        '--storage.tsdb.retention.time=1d',
        `--web.listen-address=${host}:${ports.prometheus}`,
      ],
    };
  },
  async health() {
    await expectOk(`${urls.prometheus}/-/ready`);
    return urls.prometheus;
  },
};
