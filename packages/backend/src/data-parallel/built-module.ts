import { existsSync } from "node:fs";
import { GqnError } from "@gqn/core";

/**
 * A module a package builds for worker threads (they cannot import TypeScript sources): `file`
 * beside the calling module in `dist/`, or, when the caller runs from `src/` (tests that read
 * sources), the package's `dist/`. Throws BACKEND_UNAVAILABLE naming the missing file.
 *
 * @param callerUrl - the calling module's `import.meta.url`.
 * @param who - what needs it, for the error (`createDataParallel`, ...).
 * @param hint - how to get it, for the error (`build @gqn/backend (pnpm build)`).
 */
export function builtModule(file: string, callerUrl: string, who: string, hint: string): URL {
  const candidates = [new URL(`./${file}`, callerUrl), new URL(`../../dist/${file}`, callerUrl)];
  const found = candidates.find((url) => existsSync(url));
  if (!found) {
    throw new GqnError(
      "BACKEND_UNAVAILABLE",
      `${who}: ${file} must exist at ${candidates[0]?.href}, but it is missing; ${hint}.`,
    );
  }
  return found;
}
