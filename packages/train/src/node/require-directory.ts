import { stat } from "node:fs/promises";
import { GqnError } from "@gqn/core";

/** Throws INVALID_ARGUMENT `<what> <path> is not a directory.` unless `path` is a directory. */
export async function requireDirectory(path: string, what: string): Promise<void> {
  let ok = false;
  try {
    ok = (await stat(path)).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new GqnError("INVALID_ARGUMENT", `${what} ${path} is not a directory.`);
}
