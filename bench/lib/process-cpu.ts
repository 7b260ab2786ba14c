/**
 * CPU time of a process group, read from /proc (Linux): the services run as `tsx` with node
 * beneath it, so a group, not one pid, is what a service costs. No library reads another
 * process's CPU time by group; this is the few lines of parsing it takes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc's utime and stime: USER_HZ, 100 on every Linux build of note. */
const TICKS_PER_SECOND = 100;

/** Seconds of CPU (user + system) used so far by every live process of the group. */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12).
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** Whether groupCpuSeconds can work here. */
export function canReadGroupCpu(): boolean {
  return os.platform() === 'linux';
}
