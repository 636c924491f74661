import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from '../http/http-error.js';

/** Events per device per window; a box's batch of 100 every 20 s is far below the default. */
export function deviceRateLimiter({ events, windowSeconds }: { events: number; windowSeconds: number }) {
  const limiter = new RateLimiterMemory({ points: events, duration: windowSeconds });
  return async (device: string, count: number): Promise<void> => {
    try {
      await limiter.consume(device, count);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new HttpError(
        429,
        'RESOURCE_EXHAUSTED',
        `device ${device} is over its rate limit of ${events} events per ${windowSeconds} s`,
        {},
        { 'Retry-After': String(retryAfter) },
      );
    }
  };
}
