/**
 * JSON text with object keys sorted at every level (undefined fields dropped, as in
 * `JSON.stringify`), so two equal configs give the same text whatever their key order: the one
 * way the @gqn packages compare JSON configs (a checkpoint's against the one asked for).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
