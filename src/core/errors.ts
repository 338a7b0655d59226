// Errors the user can fix (bad data, bad config, missing files) versus bugs.
//
// A UserError carries a one-line message that names the file and line where there is one, and a
// hint that says what to do next. The CLI exits 1 on it (2 on anything else); the worker sends it
// as `failed` with the hint; the panel shows both.

export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A problem at a place in a file: "reviews.csv:17: ...". */
export function atLine(file: string, line: number | undefined, message: string): string {
  return line === undefined ? `${file}: ${message}` : `${file}:${line}: ${message}`;
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
