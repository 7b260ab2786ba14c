import { z } from 'zod';

/** Thrown when the environment does not satisfy a service's schema; names variables only. */
export class ConfigError extends Error {
  constructor(
    readonly variables: string[],
    detail: string,
  ) {
    super(detail);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once with a zod schema and returns a frozen result. A problem is reported
 * by variable name and rule, never with the variable's value (it may be a secret).
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<z.output<S>> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw configErrorFrom(parsed.error);
  return Object.freeze(parsed.data);
}

/** Turns a ZodError whose paths start with variable names into a ConfigError without values. */
export function configErrorFrom(error: z.ZodError): ConfigError {
  const problems = error.issues.map((issue) => {
    const variable = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
    const rest = issue.path.slice(1).map(String).join('.');
    // zod messages may quote the received value; keep only the rule.
    const message = issue.message.replace(/,?\s*received .*$/i, '').trim();
    return { variable, message: rest ? `${rest}: ${message}` : message };
  });
  const detail = problems.map((p) => `${p.variable}: ${p.message}`).join('; ');
  return new ConfigError(
    [...new Set(problems.map((p) => p.variable))],
    `invalid configuration: ${detail}`,
  );
}

/** Runs `load`, and on a ConfigError prints one line to stderr and exits non-zero. */
export function loadConfigOrExit<T>(load: () => T, service: string): T {
  try {
    return load();
  } catch (error) {
    const configError = error instanceof z.ZodError ? configErrorFrom(error) : error;
    if (configError instanceof ConfigError) {
      process.stderr.write(`${service}: ${configError.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
