import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { syntheticDataset } from "../../../test/synthetic-data.js";

/** A test file's dataset and scratch folder, made before its tests and removed after them. */
export interface RunFixture {
  data: Awaited<ReturnType<typeof syntheticDataset>>;
  root: string;
}

/** Registers the hooks that make and remove a {@link RunFixture}; read it inside tests. */
export function runFixture(prefix: string, data: { frameSize?: number } = {}): RunFixture {
  const fixture = {} as RunFixture;
  beforeAll(async () => {
    fixture.data = await syntheticDataset(data);
    fixture.root = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await fixture.data.cleanup();
    await rm(fixture.root, { recursive: true, force: true });
  });
  return fixture;
}
