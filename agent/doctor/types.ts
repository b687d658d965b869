/**
 * One line of `auscult doctor`: a check, what it found, and how to fix it when it is not right.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Short name: "IPv6", "capture buffer". */
  check: string;
  status: CheckStatus;
  /** What the check found, in one sentence. */
  found: string;
  /** The command or setting that fixes it (warn and fail). */
  fix?: string;
}

export const ok = (check: string, found: string): CheckResult => ({ check, status: 'ok', found });
export const skip = (check: string, found: string): CheckResult => ({ check, status: 'skip', found });
export const warn = (check: string, found: string, fix: string): CheckResult => ({ check, status: 'warn', found, fix });
export const fail = (check: string, found: string, fix: string): CheckResult => ({ check, status: 'fail', found, fix });
