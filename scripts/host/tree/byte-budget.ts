/**
 * A bound on the bytes held at once by concurrent work (R109): `run(bytes, work)` waits until
 * `bytes` fit under the total, then runs `work`. A request larger than the total is clamped to
 * it, so it runs alone rather than never. Waiters are served in order (no starvation of big ones).
 */
export class ByteBudget {
  private used = 0;
  private readonly waiting: Array<{ bytes: number; start: () => void }> = [];

  constructor(private readonly total: number) {}

  async run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    const held = Math.min(Math.max(0, bytes), this.total);
    if (this.waiting.length > 0 || this.used + held > this.total) {
      await new Promise<void>((start) => this.waiting.push({ bytes: held, start }));
    } else {
      this.used += held;
    }
    try {
      return await work();
    } finally {
      this.used -= held;
      this.startWaiting();
    }
  }

  private startWaiting(): void {
    for (let next = this.waiting[0]; next !== undefined && this.used + next.bytes <= this.total; next = this.waiting[0]) {
      this.waiting.shift();
      this.used += next.bytes;
      next.start();
    }
  }
}
