// What a command line does with Ctrl-C and SIGTERM while it trains: the first asks train() to stop
// after the current step with a checkpoint (through an AbortSignal); a second ends the process at
// once, even during a long synchronous step. The CLI owns the process: library code installs no
// handler and never exits.

/** Signals turned into a stop request; see {@link stopOnSignals}. */
export interface SignalStop {
  /** Aborted on the first SIGINT or SIGTERM: pass it to `train({ signal })`. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * Installs SIGINT and SIGTERM handlers for one training run: the first signal says what happens
 * (`say`), aborts {@link SignalStop.signal} and removes the handlers, so that a second signal ends
 * the process at once, without a checkpoint (128 + the signal's number), even in the middle of a
 * long synchronous step: a JavaScript handler would only run once the step returned.
 */
export function stopOnSignals(say: (line: string) => void): SignalStop {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) return;
    received = signal;
    say(`[gqn] ${signal}: stopping after this step and saving a checkpoint (again to exit at once).`);
    // With no listener left, Node gives the signals back their default action: termination,
    // done by the OS and so not delayed by a busy event loop.
    removeHandlers();
    controller.abort(new Error(`${signal} received`));
  };
  // Bound by name: a listener is not always given the signal (process.emit("SIGINT") passes none).
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");
  const removeHandlers = () => {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose: removeHandlers,
  };
}
