import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from '../http/http-error.js';

/** Spends `cost` of `key`'s budget for the current window; 429 with Retry-After when it is spent. */
export type RateLimit = (key: string, cost: number) => Promise<void>;

/** A fixed budget per key and window; `refusal` words the 429 for the key that ran out. */
export function windowRateLimiter({ points, windowSeconds, refusal }: { points: number; windowSeconds: number; refusal: (key: string) => string }): RateLimit {
  const limiter = new RateLimiterMemory({ points, duration: windowSeconds });
  return async (key, cost) => {
    try {
      await limiter.consume(key, cost);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new HttpError(429, 'RESOURCE_EXHAUSTED', refusal(key), {}, { 'Retry-After': String(retryAfter) });
    }
  };
}

/** Events per device per window; a box's batch of 100 every 20 s is far below the default. */
export function deviceRateLimiter({ events, windowSeconds }: { events: number; windowSeconds: number }): RateLimit {
  return windowRateLimiter({
    points: events,
    windowSeconds,
    refusal: (device) => `device ${device} is over its rate limit of ${events} events per ${windowSeconds} s`,
  });
}
