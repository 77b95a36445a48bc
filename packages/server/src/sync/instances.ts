/**
 * Server instances as the process table shows them: a listening process is named
 * `<host> <url> pid <pid>`, so the workers of one instance share `<host> <url>`.
 *
 * @module
 */
import { hostname } from 'node:os';
import type { Storage } from '../storage/types.js';
import { PROCESS_LIVENESS_MS } from './change-follower.js';

/** The process-table name of this process once it listens on `url`. */
export function listeningLabel(url: string): string {
  return `${instanceName(url)} pid ${process.pid}`;
}

/**
 * The other instances with a live process on this database (by `<host> <url>`). A process that
 * does not listen yet has no URL in its name and is not counted: it will see this one when it
 * asks in turn.
 */
export async function otherLiveInstances(storage: Storage, ownUrl: string): Promise<string[]> {
  const own = instanceName(ownUrl);
  const others = new Set<string>();
  for (const { label } of await storage.listProcesses(Date.now() - PROCESS_LIVENESS_MS)) {
    const instance = label.replace(/ pid \d+$/, '');
    if (instance.includes('://') && instance !== own) others.add(instance);
  }
  return [...others].sort();
}

function instanceName(url: string): string {
  return `${hostname()} ${url}`;
}
