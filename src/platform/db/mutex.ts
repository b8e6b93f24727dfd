import { DbError } from './errors.js';

/**
 * A FIFO lock. The embedded database has exactly one session, so whoever holds this lock
 * owns that session: a single statement for its duration, a transaction from BEGIN to
 * COMMIT/ROLLBACK. Waiting is bounded so that a deadlock (code that uses the outer `db`
 * while its own transaction holds the lock) ends in a DbError instead of a hang.
 */
export class Mutex {
  #locked = false;
  readonly #waiters: Array<{ grant: () => void }> = [];

  get locked(): boolean {
    return this.#locked;
  }

  acquire(timeoutMs: number): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(
          new DbError(
            'LOCK_TIMEOUT',
            `embedded database connection busy for more than ${timeoutMs} ms; ` +
              'a transaction may be waiting on a statement issued through the outer db instead of its transaction handle',
          ),
        );
      }, timeoutMs);
      timer.unref?.();
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next.grant(); // ownership passes directly; #locked stays true
    else this.#locked = false;
  }

  async runExclusive<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    await this.acquire(timeoutMs);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}
