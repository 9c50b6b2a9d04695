/**
 * What Linux's /proc says about the processes a tool started: their tree, names, memory (RSS), CPU
 * time and the TCP ports they listen on. For `npm run load` (workerd's RSS over a soak), `npm run
 * bench` (workerd's CPU) and the `npm start` test (no DevTools inspector port). Linux only: on other
 * systems `hasProc()` is false and callers skip what needs it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";

export const hasProc = (): boolean => existsSync("/proc/self/stat");

/** The fields of /proc/PID/stat after the command name (index 0 is the state, 1 the parent pid). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined; // gone
  }
}

/** The process's command name (`workerd`, `node`), or undefined when it is gone. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** `root` and every process below it, parents first. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (!fields) continue;
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length && out.length < 10_000) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The workerd processes below `root`. */
export function workerdPids(root: number): number[] {
  return processTree(root).filter((pid) => pid !== root && processName(pid) === "workerd");
}

/** Resident set size in KiB (VmRSS), or undefined when the process is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

let tickMs: number | undefined;

/** CPU time (user + system, all threads) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  tickMs ??= 1000 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim() || 100);
  const fields = statFields(pid);
  if (!fields) throw new Error(`process ${pid} is gone`);
  return (Number(fields[11]) + Number(fields[12])) * tickMs; // utime + stime
}

/** The socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Every TCP socket of the system (IPv4 and IPv6) by inode: local port and state (0A = LISTEN). */
function tcpSockets(): Map<string, { port: number; state: string }> {
  const sockets = new Map<string, { port: number; state: string }>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      sockets.set(cols[9], { port: parseInt(cols[1].split(":")[1], 16), state: cols[3] });
    }
  }
  return sockets;
}

/** The TCP ports a process listens on. */
export function listeningPorts(pid: number): number[] {
  const sockets = tcpSockets();
  const ports = new Set<number>();
  for (const inode of socketInodes(pid)) {
    const socket = sockets.get(inode);
    if (socket?.state === "0A") ports.add(socket.port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** How many sockets (of any kind) a process holds open. */
export function socketCount(pid: number): number {
  return socketInodes(pid).size;
}
