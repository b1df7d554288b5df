// Buffered stdout for Lua's print/io.write: bytes go out in order, and everything is
// flushed before the process exits, before stderr is written and before stdin is read.

import { writeSync } from 'node:fs';

/** Where every Output sends its bytes when set (tests capture `mpelu run` this way). */
export const outputHook: { stdout?: (b: Uint8Array) => void; stderr?: (s: string) => void } = {};

export class Output {
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** Where bytes go (tests capture them). */
  constructor(private readonly fd = 1, private readonly sink?: (b: Uint8Array) => void) {}

  write(b: Uint8Array): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.size += b.length;
    if (this.size > 1 << 16) this.flush();
  }

  writeString(s: string): void {
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
    this.write(b);
  }

  flush(): void {
    if (this.size === 0) return;
    const all = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c, o);
      o += c.length;
    }
    this.chunks = [];
    this.size = 0;
    const sink = this.sink ?? (this.fd === 1 ? outputHook.stdout : undefined);
    if (sink) {
      sink(all);
      return;
    }
    let off = 0;
    while (off < all.length) {
      try {
        off += writeSync(this.fd, all, off, all.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
    }
  }
}
