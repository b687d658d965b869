/**
 * Errors shared by every part of auscult. A UserFacingError is a bad input the user can fix (a missing
 * file, no permission, a port in use); anything else that reaches the CLI is a bug.
 */

/** A bad input the user can fix; the CLI prints `message` (one line, with the fix) and exits non-zero. */
export class UserFacingError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserFacingError';
  }
}
