// The CLI run in this process, as a function: what the executable would print and its exit
// status, without starting tsx and loading the application once more per command.
import { Readable } from 'node:stream';
import { runCli } from '../src/cli.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `dailypapers <args>` with `env` over a test's defaults as its whole environment, `input` on its stdin. */
export async function cli(args: string[], env: Record<string, string> = {}, input = ''): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
    stdin: Readable.from([input]),
    out: (line) => void (stdout += `${line}\n`),
    err: (line) => void (stderr += `${line}\n`),
  });
  return { code, stdout, stderr };
}
