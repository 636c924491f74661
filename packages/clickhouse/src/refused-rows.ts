import { isRowDataError } from './errors.js';

/** A row ClickHouse refused for its own data, by its index in the rows given. */
export interface RefusedRow {
  index: number;
  error: Error;
}

/**
 * Inserts `rows`, and when ClickHouse refuses them for the data of some row (isRowDataError),
 * splits the insert in halves until the refused rows are alone: every other row is stored, and
 * the refused ones are returned (k bad rows among n cost about 2k·log2(n) extra inserts). Any
 * other failure is thrown for the whole call: it is the server's, and the caller retries.
 *
 * An insert that fails is not partly stored (one insert of fewer rows than
 * max_insert_block_size is one block); a retried half may repeat rows stored by an earlier
 * attempt, which a table collapsing duplicates (ReplacingMergeTree) absorbs.
 */
export async function insertIsolatingRefusedRows<Row>(insert: (rows: Row[]) => Promise<void>, rows: readonly Row[]): Promise<RefusedRow[]> {
  const refused: RefusedRow[] = [];
  const attempt = async (from: number, to: number): Promise<void> => {
    if (from >= to) return;
    try {
      await insert(rows.slice(from, to));
    } catch (error) {
      if (!isRowDataError(error)) throw error;
      if (to - from === 1) {
        refused.push({ index: from, error: error as Error });
        return;
      }
      const middle = from + Math.ceil((to - from) / 2);
      await attempt(from, middle);
      await attempt(middle, to);
    }
  };
  await attempt(0, rows.length);
  return refused;
}
