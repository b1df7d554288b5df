// Errors of the .t7 codec. A broken or hostile file gives a T7FormatError that says
// what was expected, what was found, the byte offset and the object path (in the
// syntax `mpelu inspect --path` takes, e.g. `modules[3].weight`).

/**
 * A .t7 file that cannot be read: says what was expected, what was found, the byte offset and the
 * object path (in the syntax `mpelu inspect --path` takes, e.g. `modules[3].weight`).
 */
export class T7FormatError extends Error {
  /** Byte offset in the file where the problem was seen. */
  readonly offset: number;
  /** Object path from the root ('' for the root itself). */
  readonly path: string;
  /** The message without the location suffix. */
  readonly reason: string;

  /**
   * @param reason what was expected and what was found.
   * @param offset the byte offset where the problem was seen.
   * @param path the object path from the root ('' for the root).
   * @param options the underlying error, if any.
   */
  constructor(reason: string, offset: number, path: string, options?: { cause?: unknown }) {
    super(`${reason} (at byte ${offset}, object ${path === '' ? '(root)' : path})`, options);
    this.name = 'T7FormatError';
    this.reason = reason;
    this.offset = offset;
    this.path = path;
  }
}

/** An object the writer cannot put in a .t7 file (a JS value with no Lua/Torch meaning). */
export class T7WriteError extends Error {
  /** The path of the object that cannot be written ('' for the root). */
  readonly path: string;

  /**
   * @param reason what the value is and why it cannot be written.
   * @param path the object path from the root.
   */
  constructor(reason: string, path: string) {
    super(`${reason} (object ${path === '' ? '(root)' : path})`);
    this.name = 'T7WriteError';
    this.path = path;
  }
}
