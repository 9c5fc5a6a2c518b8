import { Writable } from "node:stream";

/** A CLI's stdout and stderr collected as text, and the `io` that collects them. */
export function captureIo() {
  const out = { stdout: "", stderr: "" };
  const sink = (key: "stdout" | "stderr") =>
    new Writable({
      write(chunk, _encoding, done) {
        out[key] += String(chunk);
        done();
      },
    });
  return { out, io: { stdout: sink("stdout"), stderr: sink("stderr") } };
}
