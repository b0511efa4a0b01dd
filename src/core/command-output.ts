/** Where a command writes: lines to stdout and to stderr, and the terminal (stderr) when there is one, for progress. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
  tty?: NodeJS.WriteStream;
}
