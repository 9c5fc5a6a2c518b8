import { GqnError } from "@gqn/core";
import { findBuiltModule } from "@gqn/core/node";

/**
 * A module an @gqn package builds for worker threads (`findBuiltModule` of `@gqn/core/node`), or
 * BACKEND_UNAVAILABLE naming where it was looked for.
 *
 * @param callerUrl - the calling module's `import.meta.url`.
 * @param who - what needs it, for the error (`createDataParallel`, ...).
 * @param hint - how to get it, for the error (`build @gqn/backend (pnpm build)`).
 * @param packageName - the package that builds it; default `@gqn/backend`.
 */
export function builtModule(
  file: string,
  callerUrl: string,
  who: string,
  hint: string,
  packageName = "@gqn/backend",
): URL {
  const { url, looked } = findBuiltModule({ file, callerUrl, packageName });
  if (!url) {
    throw new GqnError(
      "BACKEND_UNAVAILABLE",
      `${who}: ${file} must exist (looked for ${looked.join(", ")}), but it is missing; ${hint}.`,
    );
  }
  return url;
}
