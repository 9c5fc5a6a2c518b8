import { defineConfig } from "tsup";
import { exampleConfig } from "../../tsup.shared.ts";

export default defineConfig(exampleConfig());
