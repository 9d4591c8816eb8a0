/**
 * Pending timers of every run in memory, earliest first (ties in the order they were set), as a binary heap:
 * a replay of a busy day schedules hundreds of thousands of timers, and re-sorting a list per step would
 * make it quadratic.
 */
export interface Timer {
  at: number;
  runId: string;
  token: string;
}

interface Entry extends Timer {
  order: number;
}

export class TimerQueue {
  private heap: Entry[] = [];
  private order = 0;

  get size(): number {
    return this.heap.length;
  }

  push(timer: Timer): void {
    this.heap.push({ ...timer, order: this.order++ });
    this.up(this.heap.length - 1);
  }

  peek(): Timer | undefined {
    return this.heap[0];
  }

  pop(): Timer | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top && last && this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < h.length && this.before(h[l]!, h[min]!)) min = l;
      if (r < h.length && this.before(h[r]!, h[min]!)) min = r;
      if (min === i) return;
      [h[i], h[min]] = [h[min]!, h[i]!];
      i = min;
    }
  }
}
