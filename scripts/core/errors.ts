/**
 * Typed errors carry the one-line message the user sees; only the entry file
 * (scripts/cli/main.ts) turns them into exit codes.
 */
export class SandboxError extends Error {
  /** Exit code the entry file uses for this kind of failure. */
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flags, paths, names or values: fixable by changing the invocation. Exit 2. */
export class UsageError extends SandboxError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The machine is not ready (docker missing, engine down, image broken). Exit 1. */
export class EnvironmentError extends SandboxError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** The user said no to a question. Exit 1, nothing changed. */
export class AbortError extends SandboxError {
  constructor(message: string) {
    super(message, 1);
  }
}
