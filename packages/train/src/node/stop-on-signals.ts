// What a command line does with Ctrl-C and SIGTERM while it trains: the first asks train() to stop
// after the current step with a checkpoint (through an AbortSignal); a second exits at once. The
// CLI owns the process: library code installs no handler and never exits.

/** Signals turned into a stop request; see {@link stopOnSignals}. */
export interface SignalStop {
  /** Aborted on the first SIGINT or SIGTERM: pass it to `train({ signal })`. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** Removes the handlers. */
  dispose(): void;
}

/** Exit codes of a process ended by a signal (128 + its number). */
const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Installs SIGINT and SIGTERM handlers for one training run: the first signal says what happens
 * (`say`) and aborts {@link SignalStop.signal}; a second exits the process at once, without a
 * checkpoint (128 + the signal's number).
 */
export function stopOnSignals(say: (line: string) => void): SignalStop {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      say(`[gqn] second ${signal}: exiting now, without a checkpoint.`);
      process.exit(SIGNAL_EXIT[signal] ?? 130);
    }
    received = signal;
    say(`[gqn] ${signal}: stopping after this step and saving a checkpoint (again to exit at once).`);
    controller.abort(new Error(`${signal} received`));
  };
  // Bound by name: a listener is not always given the signal (process.emit("SIGINT") passes none).
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
    },
  };
}
