// Errors the mpelu command reports: main prints every error as one line starting
// `mpelu:`; a UsageError (the command line itself is wrong) exits 2, anything else 1.

/** The command line is wrong (an extra argument, a meaningless flag combination): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
