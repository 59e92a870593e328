/**
 * One self-rewriting status line on stderr, only on a terminal: piped or redirected
 * output never sees carriage returns or escape codes.
 */
export interface StatusLine {
  update(text: string): void;
  /** Clears the line, leaving the terminal as it was. */
  done(): void;
}

const silent: StatusLine = { update: () => undefined, done: () => undefined };

export function statusLine(stream: NodeJS.WriteStream = process.stderr, enabled = true, intervalMs = 100): StatusLine {
  if (!enabled || !stream.isTTY) return silent;
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
