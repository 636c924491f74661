import { z } from 'zod';

/** Start-up fails with this when the environment does not fit the service's schema. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment against a schema whose keys are the variable names, once,
 * at start-up. Every problem is reported together, each naming its variable.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<Shape>> {
  // Empty strings mean "not set": compose files often pass VAR= for optional settings.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      const value = typeof issue.path[0] === 'string' ? present[issue.path[0]] : undefined;
      const shown = value === undefined ? 'not set' : `got ${JSON.stringify(secretLike(variable) ? '***' : value)}`;
      return `${variable}: ${issue.message} (${shown})`;
    }),
  );
}

const secretLike = (name: string) => /TOKEN|SECRET|PASSWORD|KEY/i.test(name);
