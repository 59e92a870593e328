import { InterruptedError, UsageError } from '../errors.js';

export interface ConfirmOptions {
  /** The question, without the `[y/N]`. */
  question: string;
  /** Said (exit 2) when nobody can answer: no terminal on stdin or stderr. */
  unattended: string;
  /** Said (exit 2) when the answer is not yes. */
  declined: string;
}

/**
 * Asks a yes/no question on the terminal (stderr, so stdout stays results). Without a
 * terminal there is nobody to ask: a usage error saying to pass -y. Ctrl+C at the prompt
 * is an interruption (exit 130), like Ctrl+C anywhere else.
 */
export async function confirm({ question, unattended, declined }: ConfirmOptions): Promise<void> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) throw new UsageError(unattended);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const aborted = new AbortController();
  rl.once('SIGINT', () => aborted.abort());
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: aborted.signal });
    if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError(declined);
  } catch (err) {
    if (aborted.signal.aborted) throw new InterruptedError('interrupted: nothing was done');
    throw err;
  } finally {
    rl.close();
  }
}
