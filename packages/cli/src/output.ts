/** Where command output goes; injected so commands are testable and never touch `process`. */
export interface Output {
  /** Result lines (stdout). */
  out(line: string): void;
  /** Progress and warnings (stderr). */
  err(line: string): void;
  /** True when stderr is an interactive terminal (progress bars). */
  readonly isTTY: boolean;
}

/** Builds an Output over two write functions. */
export function makeOutput(out: (s: string) => void, err: (s: string) => void, isTTY = false): Output {
  return { out: (l) => out(l + '\n'), err: (l) => err(l + '\n'), isTTY };
}
