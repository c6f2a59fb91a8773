// Who holds a TCP port: /proc/net/tcp{,6} gives the listening socket's inode, /proc/*/fd its owner.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface PortHolder {
  port: number;
  pid?: number;
  command?: string;
}

const LISTEN = '0A';

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== LISTEN) continue;
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

function ownerOf(inodes: Set<string>): { pid: number; command: string } | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] && inodes.has(match[1])) {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
        return { pid: Number(entry), command: cmdline };
      }
    }
  }
  return undefined;
}

/** The process listening on the port, or undefined when the port is free. */
export function findPortHolder(port: number): PortHolder | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  return { port, ...ownerOf(inodes) };
}

export function describeHolder(holder: PortHolder): string {
  if (holder.pid === undefined) return `port ${holder.port} is taken (owner not visible)`;
  return `port ${holder.port} is taken by pid ${holder.pid}: ${holder.command}`;
}
