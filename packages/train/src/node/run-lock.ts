// One trainer per run directory: two processes appending to one log.jsonl and saving into one
// checkpoints folder lose each other's work without a word.
import { unlinkSync } from "node:fs";
import { link, readFile, rename, rm, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { GqnError } from "@gqn/core";
import { processAlive, writeFileSynced } from "@gqn/core/node";

/** The lock file of a run directory while a trainer owns it. */
export const RUN_LOCK_FILE = ".gqn-train.lock";

/** What the lock file holds: enough to tell a live owner from a dead one. */
interface LockHolder {
  pid: number;
  host: string;
  started: string;
}

/** An exclusive hold on a run directory; see {@link lockRunDirectory}. */
export interface RunLock {
  readonly path: string;
  /** Removes the lock file (idempotent). */
  release(): Promise<void>;
}

/**
 * Takes the run directory `dir` (which must exist) for this process: `<dir>/.gqn-train.lock`
 * appears atomically with this process's pid, or not at all. A lock whose process is gone (a
 * SIGKILL, a power loss) is taken over; a live one is refused with GqnError `IO_ERROR` naming
 * its pid. The file is also removed when the process exits without releasing it (a second
 * Ctrl-C calls process.exit).
 */
export async function lockRunDirectory(dir: string, where = "train"): Promise<RunLock> {
  const path = join(dir, RUN_LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  // Written aside and linked into place: the lock never exists half-written.
  const draft = `${path}.${process.pid}`;
  await writeFileSynced(draft, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(draft, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = await readHolder(path);
      if (holder && !isStale(holder)) throw locked(where, dir, path, holder);
      if (attempt >= 2) throw locked(where, dir, path, holder);
      await takeOver(path);
    }
  } finally {
    await rm(draft, { force: true });
  }
  let released = false;
  const onExit = () => {
    if (released) return;
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.once("exit", onExit);
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      process.off("exit", onExit);
      await rm(path, { force: true });
    },
  };
}

/** A lock of this host whose process is gone (an unreadable one counts as stale too). */
function isStale(holder: LockHolder): boolean {
  return holder.host === hostname() && holder.pid !== process.pid && !processAlive(holder.pid);
}

/**
 * Moves a stale lock aside, then checks that it is still stale: another process may have taken
 * the lock over in between, and its lock goes back.
 */
async function takeOver(path: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // its owner just released it
    throw error;
  }
  const moved = await readHolder(aside);
  if (moved && !isStale(moved)) {
    await link(aside, path).catch(() => {});
  }
  await unlink(aside).catch(() => {});
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<LockHolder>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string") {
      return { pid: parsed.pid, host: parsed.host, started: String(parsed.started ?? "?") };
    }
  } catch {
    // Unreadable: treated as stale.
  }
  return undefined;
}

function locked(where: string, dir: string, path: string, holder: LockHolder | undefined): GqnError {
  const who = holder
    ? `process ${holder.pid}${holder.host === hostname() ? "" : ` on ${holder.host}`} (since ${holder.started})`
    : "another process";
  return new GqnError(
    "IO_ERROR",
    `${where}: ${dir} is in use by ${who}: one trainer per model dir. Wait for it to end, or choose another model dir; if that process is gone, remove ${path}.`,
  );
}
