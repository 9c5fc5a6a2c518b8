/**
 * `config` with `overrides` laid over it, objects merged key by key: what a resumed run's model
 * options ask for, compared with the run's own config (not a preset's).
 */
export function withOverrides<T extends object>(config: T, overrides: object | undefined): T {
  if (overrides === undefined) return config;
  const merged: Record<string, unknown> = { ...(config as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const base = merged[key];
    merged[key] =
      isPlainObject(value) && isPlainObject(base) ? withOverrides(base, value) : (value as unknown);
  }
  return merged as T;
}

function isPlainObject(value: unknown): value is object {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
