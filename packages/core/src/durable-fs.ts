import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Writes a file and flushes it to the disk before returning, so a later rename publishes
 * complete bytes even after a power loss (a SIGKILL alone would not need the flush). The file is
 * made afresh: whatever is at `path` (a leftover, or a link planted there) is removed, never
 * followed, and the new file is created exclusively (O_EXCL), so a link planted in between fails
 * the write (EEXIST) instead of sending the bytes elsewhere.
 */
export async function writeFileSynced(path: string, data: Uint8Array | string): Promise<void> {
  await rm(path, { force: true });
  const handle = await open(path, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    throw withPath(error, path);
  } finally {
    await handle.close();
  }
}

/**
 * `error` with `path` set when it is a file-system error that names none (a write or sync on an
 * open file: ENOSPC, EIO), so that its message can say which file.
 */
export function withPath(error: unknown, path: string): unknown {
  const errno = error as NodeJS.ErrnoException;
  if (error instanceof Error && typeof errno.code === "string" && errno.path === undefined) {
    errno.path = path;
    error.message = `${error.message.replace(/\.?$/, "")} (${path})`;
  }
  return error;
}

/** Flushes a directory's entries (renames inside it) to the disk; a no-op where unsupported. */
export async function syncDir(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** Replaces `path` with `data` atomically: a temp file beside it, flushed, then renamed over it. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `${basename(path)}.tmp-${process.pid}`);
  try {
    await writeFileSynced(tmp, data);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

/**
 * True when a process with this id is running (signal 0 probes without signalling). Only a
 * positive integer names one process: 0 and negative ids name process groups, so a lock file
 * holding one is taken as no one's.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
