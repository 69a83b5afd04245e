import { UsageError } from '../../core/errors.js';

export type UnsafeReason = 'link' | 'link-out' | 'not-dir' | 'not-file' | 'too-large' | 'loop' | 'bad-name';

/**
 * A path in an agent-writable tree that the launcher refuses to use, and why. Callers word
 * it for their context; one that reaches the entry is a one-line usage error (exit 2).
 */
export class UnsafePathError extends UsageError {
  /** `<path> <why>`, without advice. */
  readonly detail: string;

  constructor(
    readonly path: string,
    readonly reason: UnsafeReason,
  ) {
    super(`${path} ${describeReason(reason)}: remove or replace it and run again`);
    this.name = 'UnsafePathError';
    this.detail = `${path} ${describeReason(reason)}`;
  }
}

function describeReason(reason: UnsafeReason): string {
  switch (reason) {
    case 'link':
      return 'is a symlink (never followed in a directory the agent can write)';
    case 'link-out':
      return 'is a symlink leading out of the directory the agent can write';
    case 'not-dir':
      return 'is not a directory';
    case 'not-file':
      return 'is not a regular file (a FIFO, device or directory?)';
    case 'too-large':
      return 'is larger than the launcher reads';
    case 'loop':
      return 'has too many levels of symlinks';
    case 'bad-name':
      return 'is not a single path component';
  }
}
