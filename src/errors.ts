/**
 * Typed errors, each carrying the exit code documented in shared/DESIGN.md.
 * Library code throws these; only the CLI entry point turns them into
 * `process.exitCode`, so the mapping lives here and nowhere else.
 */

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notARepository: 3,
  auth: 4,
  unreachable: 5,
  permission: 6,
  diskFull: 7,
  noIndex: 8,
  locked: 9,
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class GitctxError extends Error {
  readonly exitCode: ExitCodeValue;

  constructor(message: string, exitCode: ExitCodeValue, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flag, bad argument, bad setting value (exit 2). */
export class UsageError extends GitctxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
  }
}

export class NotARepositoryError extends GitctxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.notARepository, options);
  }
}

/** API key missing or rejected by the provider (exit 4). */
export class AuthError extends GitctxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.auth, options);
  }
}

/** Provider or network unreachable after retries (exit 5). */
export class ProviderUnreachableError extends GitctxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.unreachable, options);
  }
}

export class PermissionDeniedError extends GitctxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.permission, options);
  }
}

export class DiskFullError extends GitctxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.diskFull, options);
  }
}

export class NoIndexError extends GitctxError {
  constructor(message = 'no index yet: run `gitctx index` first', options?: { cause?: unknown }) {
    super(message, ExitCode.noIndex, options);
  }
}

/** Another `gitctx index` is writing the shared index (exit 9): one writer at a time. */
export class IndexLockedError extends GitctxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.locked, options);
  }
}

export class InterruptedError extends GitctxError {
  constructor(message = 'interrupted', options?: { cause?: unknown }) {
    super(message, ExitCode.interrupted, options);
  }
}

const errnoExitCodes: Record<string, ExitCodeValue> = {
  EACCES: ExitCode.permission,
  EPERM: ExitCode.permission,
  EROFS: ExitCode.permission,
  ENOSPC: ExitCode.diskFull,
  EDQUOT: ExitCode.diskFull,
};

/** The errno code (`ENOENT`, `ENOSPC`, ...) of a failed system call, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Turns a failed file-system call into the typed error its errno calls for
 * (permission → 6, disk full → 7); anything else is returned unchanged.
 */
export function fromFsError(err: unknown, what: string): unknown {
  const code = errnoCode(err);
  if (code === undefined) return err;
  const exitCode = errnoExitCodes[code];
  if (exitCode === ExitCode.permission) return new PermissionDeniedError(`permission denied: ${what}`, { cause: err });
  if (exitCode === ExitCode.diskFull) return new DiskFullError(`disk full: ${what}`, { cause: err });
  return err;
}

export function exitCodeOf(err: unknown): ExitCodeValue {
  if (err instanceof GitctxError) return err.exitCode;
  const code = errnoCode(err);
  return (code !== undefined ? errnoExitCodes[code] : undefined) ?? ExitCode.unexpected;
}
