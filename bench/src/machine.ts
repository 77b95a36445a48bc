// Describes the machine the benchmark ran on, so numbers are never read without their context.
import { accessSync, constants, readFileSync } from 'node:fs';
import os from 'node:os';
import { delimiter, join } from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** Absolute path of `taskset`, or null when it is not installed (no CPU pinning then). */
  taskset: string | null;
  /** 1/5/15-minute load averages when the run started: high values mean other work shared the CPU. */
  loadAverage: [number, number, number];
  date: string;
}

/** Finds an executable on PATH (or at the usual /usr/bin location); null when absent. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const match = /^model name\s*:\s*(.+)$/m.exec(info);
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function describeMachine(): MachineInfo {
  const [l1, l5, l15] = os.loadavg();
  return {
    cpuModel: cpuModel(),
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    taskset: findExecutable('taskset'),
    loadAverage: [l1 ?? 0, l5 ?? 0, l15 ?? 0],
    date: new Date().toISOString(),
  };
}

/** Resident set size (VmRSS) and its peak (VmHWM) of a process in MiB, from /proc/<pid>/status. */
export function readRss(pid: number): { rssMiB: number; peakMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s*(\d+)\s*kB/m.exec(status)?.[1];
    const hwm = /^VmHWM:\s*(\d+)\s*kB/m.exec(status)?.[1];
    if (rss === undefined) return null;
    return { rssMiB: Number(rss) / 1024, peakMiB: hwm === undefined ? Number.NaN : Number(hwm) / 1024 };
  } catch {
    return null;
  }
}
