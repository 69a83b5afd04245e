import { ByteBudget } from '../../scripts/host/tree/byte-budget.js';

describe('ByteBudget', () => {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('never holds more than its total at once; small requests run together', async () => {
    const budget = new ByteBudget(100);
    let held = 0;
    let most = 0;
    let together = 0;
    const work = (bytes: number) =>
      budget.run(bytes, async () => {
        held += bytes;
        most = Math.max(most, held);
        together = Math.max(together, held / bytes);
        await tick();
        held -= bytes;
        return bytes;
      });
    expect(await Promise.all([10, 10, 10, 10, 60, 40, 90, 5, 5].map(work))).toEqual([10, 10, 10, 10, 60, 40, 90, 5, 5]);
    expect(most).toBeLessThanOrEqual(100);
    expect(together).toBeGreaterThanOrEqual(4);
  });

  it('a request over the total runs alone instead of never; a failure releases its bytes', async () => {
    const budget = new ByteBudget(100);
    const order: string[] = [];
    const big = budget.run(1000, async () => {
      order.push('big');
      await tick();
      order.push('big done');
    });
    const small = budget.run(1, async () => {
      order.push('small');
    });
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'big done', 'small']);
    await expect(
      budget.run(100, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await budget.run(100, async () => 'free again')).toBe('free again');
  });
});
