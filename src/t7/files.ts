// Reading and writing files the way a user expects: '-' is standard input/output, a
// destination that is not a regular file (a device, FIFO, socket, directory) is refused
// before anything is written, a file is replaced atomically (a temporary file in the
// same folder, then a rename), nothing half-written is left behind, and every error
// names the user's path, never the temporary file.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** A file could not be read or written; `path` is the path the caller gave. */
export class FileError extends Error {
  /** The path as the caller gave it (never a temporary file). */
  readonly path: string;
  /** The Node error code behind it ('ENOENT', 'EACCES', ...), if any. */
  readonly code: string | undefined;

  /**
   * @param message one line saying what failed, naming the file.
   * @param file the path as the caller gave it.
   * @param options the underlying error and its Node code.
   */
  constructor(message: string, file: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.name = 'FileError';
    this.path = file;
    this.code = options?.code;
  }
}

/** What a non-regular file is, in words. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/** A system error in words, without the (possibly temporary) path Node puts in it. */
function reason(e: unknown, folder: string): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `folder ${folder} does not exist`;
    case 'ENOTDIR':
      return `${folder} is not a folder`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied (folder ${folder})`;
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EISDIR':
      return 'it is a directory';
    case 'EXDEV':
      return 'it is on another device than its folder';
    default: {
      const m = (e as Error).message ?? String(e);
      // "EIO: i/o error, write" -> "EIO: i/o error" (no syscall, no path)
      return m.replace(/, (open|write|rename|fsync|close|read)\b.*$/, '');
    }
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Writes all of `chunks` to an open descriptor, waiting out EAGAIN on non-blocking pipes. */
function writeAll(fd: number, chunks: readonly Uint8Array[]): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const c of chunks) {
    let off = 0;
    while (off < c.length) {
      try {
        off += fs.writeSync(fd, c, off, c.length - off);
      } catch (e) {
        if (errno(e) !== 'EAGAIN') throw e;
        Atomics.wait(pause, 0, 0, 5);
      }
    }
  }
}

/** Writes `chunks` to standard output (for '-'). */
function writeStdout(chunks: readonly Uint8Array[]): void {
  try {
    writeAll(1, chunks);
  } catch (e) {
    throw new FileError(`cannot write to standard output: ${reason(e, '.')}`, '-', { cause: e, code: errno(e) });
  }
}

/**
 * The file a write to `file` should replace: `file` itself, or what a symbolic link points
 * to. Throws a FileError when it exists and is not a regular file.
 */
export function checkWritableDestination(file: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file); // follows links: /dev/stdout is what it points to
  } catch (e) {
    if (errno(e) === 'ENOENT') return file; // a new file (or a dangling link, replaced)
    throw new FileError(`cannot write ${file}: ${reason(e, path.dirname(file) || '.')}`, file, { cause: e, code: errno(e) });
  }
  if (!st.isFile()) {
    throw new FileError(`cannot write ${file}: it is ${kindOf(st)}, not a regular file (give a file name, or '-' for standard output)`, file, { code: 'ENOTREG' });
  }
  // replace what a link points to, not the link
  return fs.lstatSync(file).isSymbolicLink() ? fs.realpathSync(file) : file;
}

/**
 * Writes `chunks` to `file` atomically: a temporary file in the same folder, then a
 * rename, so readers see the old file or the whole new one. `-` writes to standard output.
 * A destination that exists and is not a regular file is refused before anything is written.
 */
export function writeFileAtomic(file: string, chunks: Uint8Array | Uint8Array[], fsync = true): void {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  if (file === '-') {
    writeStdout(list);
    return;
  }
  const target = checkWritableDestination(file);
  const dir = path.dirname(path.resolve(target));
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    // writev in batches (IOV_MAX is 1024 on Linux); finish a short write piece by piece
    for (let i = 0; i < list.length; i += 1024) {
      const batch = list.slice(i, i + 1024);
      const want = batch.reduce((a, c) => a + c.length, 0);
      let done = fs.writevSync(fd, batch);
      if (done === want) continue;
      for (const c of batch) {
        if (done >= c.length) {
          done -= c.length;
          continue;
        }
        writeAll(fd, [c.subarray(done)]);
        done = 0;
      }
    }
    if (fsync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new FileError(`cannot write ${file}: ${reason(e, path.dirname(file) || '.')}`, file, { cause: e, code: errno(e) });
  }
}

/**
 * Opens an input: a regular file as an open descriptor and its size (the caller reads
 * it in place and closes it); '-' (standard input), FIFOs and other streams read whole
 * into memory. Throws a FileError naming `file` for a directory or a missing file.
 */
export function openInput(file: string): { fd: number; size: number } | { bytes: Uint8Array } {
  if (file === '-') {
    try {
      return { bytes: fs.readFileSync(0) };
    } catch (e) {
      throw new FileError(`cannot read standard input: ${reason(e, '.')}`, '-', { cause: e, code: errno(e) });
    }
  }
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const code = errno(e);
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : reason(e, path.dirname(file) || '.');
    throw new FileError(`cannot read ${file}: ${why}`, file, { cause: e, code });
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile()) return { fd, size: st.size };
    if (st.isDirectory()) throw new FileError(`cannot read ${file}: it is a directory, not a .t7 file`, file, { code: 'EISDIR' });
    // a FIFO, character device or socket: read it as a stream
    const bytes = fs.readFileSync(fd);
    fs.closeSync(fd);
    return { bytes };
  } catch (e) {
    fs.closeSync(fd);
    if (e instanceof FileError) throw e;
    throw new FileError(`cannot read ${file}: ${reason(e, path.dirname(file) || '.')}`, file, { cause: e, code: errno(e) });
  }
}
