/**
 * In-process wake-up for long polls: whoever writes a command for a node calls
 * notify(nodeId); a long poll waiting for that node polls again at once instead of at its
 * next interval. It only shortens latency: a notification that is missed (another
 * process wrote the command, or the writer's transaction had not committed yet) is made
 * up by the long poll's periodic re-poll. One instance per service, passed where needed.
 */
export interface CommandNotifier {
  /** Wake every waiter of `nodeId`. */
  notify(nodeId: string): void;
  /** Resolves at the next notify(nodeId), or when `signal` aborts (never rejects). */
  wait(nodeId: string, signal?: AbortSignal): Promise<void>;
  /** Number of pending waits (for tests and metrics). */
  waiting(nodeId?: string): number;
}

export function createCommandNotifier(): CommandNotifier {
  const waiters = new Map<string, Set<() => void>>();

  const remove = (nodeId: string, wake: () => void) => {
    const set = waiters.get(nodeId);
    if (!set) return;
    set.delete(wake);
    if (set.size === 0) waiters.delete(nodeId);
  };

  return {
    notify(nodeId) {
      const set = waiters.get(nodeId);
      if (!set) return;
      waiters.delete(nodeId);
      for (const wake of set) wake();
    },
    wait(nodeId, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) {
          resolve();
          return;
        }
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          remove(nodeId, wake);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        let set = waiters.get(nodeId);
        if (!set) waiters.set(nodeId, (set = new Set()));
        set.add(wake);
      });
    },
    waiting(nodeId) {
      if (nodeId !== undefined) return waiters.get(nodeId)?.size ?? 0;
      let n = 0;
      for (const set of waiters.values()) n += set.size;
      return n;
    },
  };
}
