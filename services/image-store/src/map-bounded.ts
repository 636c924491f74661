/**
 * Runs `work` over `items` with at most `limit` running at once and returns the outcomes in
 * item order. After the first rejection (or once `signal` aborts) no new item is started; the
 * ones running are awaited, so nothing is left in flight, then the first rejection is thrown
 * (or, when the abort left items undone, an Error saying so).
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && !signal.aborted && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  if (next < items.length) throw new Error(`stopping: ${items.length - next} of ${items.length} items not started`);
  return results;
}
