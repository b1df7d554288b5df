// Class codecs: torch classes whose file layout is not "version, class, field table"
// (tds.Hash, tds.Vec, or a user's class with its own read/write methods in Lua).
// A codec claims class names for the reader and recognises its objects for the writer.

/** What a codec's read() may use: the same primitives Torch's File offers. */
export interface T7Input {
  /** A 4-byte int. */
  readInt(): number;
  /** A "long" (4 or 8 bytes as the file says), as a safe integer. */
  readLong(): number;
  /** An 8-byte double. */
  readDouble(): number;
  /** n raw bytes. */
  readBytes(n: number): Uint8Array;
  /** Reads a nested object; `segment` names it in error paths. */
  readObject(segment?: string | number): unknown;
  /** Throws a T7FormatError at the current offset and path. */
  fail(reason: string): never;
}

/** What a codec's write() may use: the primitives Torch's File offers. */
export interface T7Output {
  /** A 4-byte int. */
  writeInt(v: number): void;
  /** A long (the file's long size). */
  writeLong(v: number): void;
  /** An 8-byte double. */
  writeDouble(v: number): void;
  /** Raw bytes. */
  writeBytes(b: Uint8Array): void;
  /** A nested object (shared ones by reference); `segment` names it in error paths. */
  writeObject(v: unknown, segment?: string | number): void;
}

/**
 * How to read and write a torch class whose file layout is not "version, class, field table"
 * (tds.Hash, a user class with its own read/write in Lua).
 */
export interface T7ClassCodec<T extends object = object> {
  /** Makes the (empty) object; the reader registers it before read() so cycles work. */
  create(className: string, version: number | null): T;
  /** Fills obj from the file, after create(). */
  read(obj: T, input: T7Input, version: number | null): void;
  /** True for objects this codec writes. */
  owns(value: unknown): value is T;
  /** Class name and version ("V n" header; null for none) to write. */
  header(obj: T): { className: string; version: number | null };
  /** Writes obj's content, after the header. */
  write(obj: T, out: T7Output): void;
}

const byName = new Map<string, T7ClassCodec>();
const all: T7ClassCodec[] = [];

/** Claims class names for a codec: the reader uses it for those names, and the writer for the objects it owns(). */
export function registerT7ClassCodec<T extends object>(classNames: readonly string[], codec: T7ClassCodec<T>): void {
  const c = codec as unknown as T7ClassCodec;
  for (const n of classNames) byName.set(n, c);
  if (!all.includes(c)) all.push(c);
}

export function codecForClass(className: string): T7ClassCodec | undefined {
  return byName.get(className);
}

export function codecForValue(value: unknown): T7ClassCodec | undefined {
  for (const c of all) if (c.owns(value)) return c;
  return undefined;
}
