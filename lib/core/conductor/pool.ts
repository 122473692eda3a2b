// Bounded worker pool. A slot is reserved synchronously (so the API can answer 503 before any
// state change) and then started; work begins on the next microtask, not on a timer.
import { NoFreeWorker } from "../errors.ts";

export interface WorkerSlot {
  start(work: () => Promise<void>): void;
  /** Gives the slot back without running anything. */
  cancel(): void;
}

export class WorkerPool {
  private busy = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(public size: number) {}

  get active(): number {
    return this.busy;
  }

  get free(): number {
    return Math.max(0, this.size - this.busy);
  }

  /** Reserves a slot or throws NoFreeWorker (HTTP 503). */
  reserve(): WorkerSlot {
    if (this.busy >= this.size) throw new NoFreeWorker();
    this.busy++;
    let used = false;
    const done = () => {
      if (!used) {
        used = true;
        this.busy--;
      }
    };
    return {
      start: (work) => {
        if (used) throw new Error("worker slot already used");
        const p: Promise<void> = Promise.resolve()
          .then(work)
          .catch((err) => console.error("conductor worker failed:", err))
          .finally(() => {
            done();
            this.running.delete(p);
          });
        this.running.add(p);
      },
      cancel: done,
    };
  }

  /** Resolves when every started job has finished (including jobs started meanwhile). */
  async drain(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }
}
