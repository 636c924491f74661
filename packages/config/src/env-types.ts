import { z } from 'zod';

/** Building blocks for service schemas: each turns one environment string into a typed value. */
export const env = {
  /** 0 lets the kernel pick a free port (tests). */
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  integer: (fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  number: (fallback: number, { min = 0 } = {}) => z.coerce.number().min(min).default(fallback),
  /** "true"/"false"/"1"/"0"/"yes"/"no". */
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((value) => value === 'true' || value === '1' || value === 'yes')
      .default(fallback),
  string: (fallback: string) => z.string().min(1).default(fallback),
  /** Comma-separated list, blanks dropped. */
  list: (fallback: string[]) =>
    z
      .string()
      .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
      .pipe(z.array(z.string()).min(1, 'must name at least one value'))
      .default(fallback),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};
