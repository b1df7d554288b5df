// The parts of Lua's standard library that Fengari lacks or that differ from LuaJIT:
// io on real files, os.*, string.format as C and LuaJIT print, type() of bridged objects.

import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync, fstatSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { lua, lauxlib, lit, pushString, bytesString, type LuaState } from './fengari.js';
import { Multi, type Bridge } from './bridge.js';
import { Output } from './output.js';
import { formatNumber, formatString, parseFormat, quoteString } from './cformat.js';
import { typeName } from './objects.js';
import { LuaTable } from '../t7/lua_table.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * os.exit(code): unwinds the whole Lua stack (pcall cannot catch it: the runtime
 * re-raises it) and the runner ends with `code`.
 */
export class LuaExit extends Error {
  constructor(readonly code: number) {
    super(`os.exit(${code})`);
    this.name = 'LuaExit';
  }
}

/** An open file, as io.open returns it. */
export class LuaFile {
  private pos = 0;
  closed = false;
  private readBuf: Buffer | null = null;
  constructor(private fd: number, readonly path: string, protected readonly out?: Output, private readonly std = false) {}

  protected content(): Buffer {
    if (this.std && this.fd === 0) {
      if (!this.readBuf) this.readBuf = readAllStdin();
      return this.readBuf;
    }
    return readFileSync(this.fd === -1 ? this.path : `/proc/self/fd/${this.fd}`);
  }

  private check(): void {
    if (this.closed) throw new Error('attempt to use a closed file');
  }

  write(...args: unknown[]): LuaFile {
    this.check();
    for (const a of args) {
      const s = typeof a === 'number' ? luaNumberText(a) : String(a);
      const b = Buffer.from(s, 'latin1');
      if (this.out) this.out.write(b);
      else {
        writeSync(this.fd, b, 0, b.length, this.std ? null : this.pos);
        this.pos += b.length;
      }
    }
    return this;
  }

  read(...formats: unknown[]): Multi {
    this.check();
    if (formats.length === 0) formats = ['*l'];
    const data = this.content();
    const out: unknown[] = [];
    for (const f of formats) {
      const v = this.readOne(data, f);
      out.push(v);
      if (v === undefined) break;
    }
    return new Multi(out);
  }

  private readOne(data: Buffer, f: unknown): unknown {
    if (typeof f === 'number') {
      if (this.pos >= data.length) return undefined; // read(0) too: "" before the end, nil at it
      const s = data.subarray(this.pos, this.pos + f).toString('latin1');
      this.pos += s.length;
      return s;
    }
    const fmt = String(f).replace(/^\*/, '');
    if (fmt.startsWith('a')) {
      const s = data.subarray(this.pos).toString('latin1');
      this.pos = data.length;
      return s;
    }
    if (fmt.startsWith('l') || fmt.startsWith('L')) {
      if (this.pos >= data.length) return undefined;
      let end = data.indexOf(10, this.pos);
      const keep = fmt.startsWith('L');
      if (end < 0) end = data.length;
      const s = data.subarray(this.pos, keep && end < data.length ? end + 1 : end).toString('latin1');
      this.pos = Math.min(end + 1, data.length);
      return s;
    }
    if (fmt.startsWith('n')) {
      const rest = data.subarray(this.pos).toString('latin1');
      const m = /^\s*([-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))/.exec(rest);
      if (!m) return undefined;
      this.pos += m[0].length;
      return Number(m[1]);
    }
    throw new Error(`bad argument #1 to 'read' (invalid format)`);
  }

  lines(...formats: unknown[]): () => unknown {
    return () => {
      const r = this.read(...(formats.length ? formats : ['*l']));
      return r.values[0];
    };
  }

  seek(whence: unknown = 'cur', offset: unknown = 0): number {
    this.check();
    const size = this.fd >= 0 ? fstatSync(this.fd).size : 0;
    const off = Number(offset);
    if (whence === 'set') this.pos = off;
    else if (whence === 'cur') this.pos += off;
    else if (whence === 'end') this.pos = size + off;
    return this.pos;
  }

  flush(): LuaFile {
    this.out?.flush();
    return this;
  }

  setvbuf(): boolean {
    return true;
  }

  close(): boolean {
    if (this.std) return true;
    this.check();
    closeSync(this.fd);
    this.closed = true;
    return true;
  }
}

/**
 * io.popen(command, mode): the command runs under /bin/sh. 'r': it runs to its end at once
 * and the file reads its stdout; 'w': what the script writes is its stdin, and it runs at
 * close(), its stdout going to the script's stdout. close() gives true, as LuaJIT's does.
 */
export class LuaPipe extends LuaFile {
  private readonly output: Buffer | null;
  private readonly written: Uint8Array[];
  private readonly command: string;
  private readonly stdout: Output;

  constructor(command: string, mode: 'r' | 'w', stdout: Output) {
    const written: Uint8Array[] = [];
    super(-1, command, mode === 'w' ? new Output(-1, (b) => written.push(b.slice())) : undefined);
    this.written = written;
    this.command = command;
    this.stdout = stdout;
    this.output = mode === 'r' ? this.run(undefined) : null;
  }

  private run(input: Buffer | undefined): Buffer {
    this.stdout.flush();
    const r = spawnSync('/bin/sh', ['-c', this.command], { input, maxBuffer: 1 << 30 });
    if (r.stderr?.length) process.stderr.write(r.stderr);
    return r.stdout ?? Buffer.alloc(0);
  }

  protected override content(): Buffer {
    return this.output ?? Buffer.alloc(0);
  }

  override close(): boolean {
    if (this.closed) throw new Error('attempt to use a closed file');
    this.closed = true;
    if (!this.output) {
      this.out?.flush();
      this.stdout.write(this.run(Buffer.concat(this.written)));
    }
    return true;
  }
}

function readAllStdin(): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n = 0;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      if ((e as NodeJS.ErrnoException).code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

let numberText: (x: number) => string = String;
export function luaNumberText(x: number): string {
  return numberText(x);
}

const openModes: Record<string, string> = { r: 'r', w: 'w', a: 'a', 'r+': 'r+', 'w+': 'w+', 'a+': 'a+' };

export function installStdlib(b: Bridge, out: Output, errOut: (s: string) => void, formatNum: (x: number) => string): void {
  const L = b.L;
  numberText = formatNum;
  const stdout = new LuaFile(1, 'stdout', out, true);
  const stderr = new LuaFile(2, 'stderr', undefined, true);
  const stdin = new LuaFile(0, 'stdin', undefined, true);
  let defaultOutput = stdout;

  // ---- io ----
  lua.lua_createtable(L, 0, 8);
  const io: Record<string, (...a: any[]) => unknown> = {
    open: (path: string, mode = 'r') => {
      const m = openModes[String(mode).replace('b', '')];
      if (!m) throw new Error(`bad argument #2 to 'open' (invalid mode '${mode}')`);
      try {
        const fd = openSync(path, m);
        const f = new LuaFile(fd, path);
        if (m.startsWith('a')) f.seek('end', 0);
        return f;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const text = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code === 'EISDIR' ? 'Is a directory' : (e as Error).message;
        return new Multi([null, `${path}: ${text}`, code === 'ENOENT' ? 2 : 1]);
      }
    },
    popen: (command: string, mode = 'r') => {
      const m = String(mode).replace('b', '');
      if (m !== 'r' && m !== 'w') throw new Error(`bad argument #2 to 'popen' (invalid mode '${mode}')`);
      return new LuaPipe(String(command), m, out);
    },
    // trepl's io.write returns true
    write: (...args: unknown[]) => {
      defaultOutput.write(...args);
      return true;
    },
    read: (...args: unknown[]) => {
      out.flush();
      return stdin.read(...args);
    },
    lines: (path?: string, ...formats: unknown[]) => {
      if (path === undefined) return stdin.lines(...formats);
      let f: LuaFile;
      try {
        f = new LuaFile(openSync(path, 'r'), path);
      } catch {
        throw new Error(`${path}: No such file or directory`);
      }
      const next = f.lines(...formats);
      return () => {
        const v = next();
        if (v === undefined) f.close();
        return v;
      };
    },
    close: (f?: LuaFile) => (f ?? defaultOutput).close(),
    output: (f?: unknown) => {
      if (typeof f === 'string') defaultOutput = new LuaFile(openSync(f, 'w'), f);
      else if (f instanceof LuaFile) defaultOutput = f;
      return defaultOutput;
    },
    type: (f: unknown) => (f instanceof LuaFile ? (f.closed ? 'closed file' : 'file') : null),
    flush: () => out.flush(),
  };
  for (const [name, fn] of Object.entries(io)) b.setFunction(-1, name, b.wrap(fn));
  for (const [name, f] of [['stdout', stdout], ['stderr', stderr], ['stdin', stdin]] as const) {
    b.push(f);
    lua.lua_setfield(L, -2, lit(name));
  }
  lua.lua_setglobal(L, lit('io'));
  // stderr writes go after what stdout holds
  stderr.write = (...args: unknown[]) => {
    out.flush();
    errOut(args.map((a) => (typeof a === 'number' ? formatNum(a) : String(a))).join(''));
    return stderr;
  };

  // ---- os ----
  lua.lua_getglobal(L, lit('os'));
  const start = process.cpuUsage();
  const os: Record<string, (...a: any[]) => unknown> = {
    time: (t?: unknown) => {
      if (t && typeof t === 'object') {
        const g = (k: string, d?: number) => {
          const v = (t as any).get ? (t as any).get(k) : undefined;
          if (v === undefined && d === undefined) throw new Error(`field '${k}' missing in date table`);
          return v === undefined ? d : Number(v);
        };
        return Math.floor(new Date(g('year')!, g('month')! - 1, g('day')!, g('hour', 12), g('min', 0), g('sec', 0)).getTime() / 1000);
      }
      return Math.floor(Date.now() / 1000);
    },
    clock: () => {
      const u = process.cpuUsage(start);
      return (u.user + u.system) / 1e6;
    },
    date: (format = '%c', time?: number) => osDate(String(format), time),
    getenv: (name: string) => process.env[name] ?? null,
    remove: (path: string) => {
      try {
        if (statSync(path).isDirectory()) rmdirSync(path);
        else unlinkSync(path);
        return true;
      } catch (e) {
        return new Multi([null, `${path}: ${errnoText(e)}`, 2]);
      }
    },
    rename: (from: string, to: string) => {
      try {
        renameSync(from, to);
        return true;
      } catch (e) {
        return new Multi([null, `${from}: ${errnoText(e)}`, 2]);
      }
    },
    tmpname: () => {
      const name = join(tmpdir(), `lua_${randomBytes(4).toString('hex')}`);
      closeSync(openSync(name, 'w'));
      return name;
    },
    execute: (cmd?: string) => {
      if (cmd === undefined) return 1;
      out.flush();
      const r = spawnSync('/bin/sh', ['-c', cmd], { stdio: 'inherit' });
      return (r.status ?? 1) * 256;
    },
    exit: (code: unknown = true) => {
      out.flush();
      throw new LuaExit(code === true ? 0 : code === false ? 1 : Number(code));
    },
  };
  for (const [name, fn] of Object.entries(os)) b.setFunction(-1, name, b.wrap(fn));
  lua.lua_pop(L, 1);

  // ---- string.format, as C's printf and LuaJIT's tostring ----
  lua.lua_getglobal(L, lit('string'));
  b.setFunction(-1, 'format', b.raw((L: LuaState) => {
    const fmt = bytesString(lauxlib.luaL_checklstring(L, 1));
    let arg = 1;
    let s = '';
    for (const p of parseFormat(fmt)) {
      if (typeof p === 'string') {
        s += p;
        continue;
      }
      arg++;
      if (p.conv === 's') {
        if (lua.lua_gettop(L) < arg) lauxlib.luaL_argerror(L, arg, lit('no value'));
        lauxlib.luaL_tolstring(L, arg);
        s += formatString(bytesString(lua.lua_tolstring(L, -1)), p);
        lua.lua_pop(L, 1);
      } else if (p.conv === 'q') {
        s += quoteString(bytesString(lauxlib.luaL_checklstring(L, arg)));
      } else {
        s += formatNumber(lauxlib.luaL_checknumber(L, arg), p);
      }
    }
    pushString(L, s);
    return 1;
  }));
  lua.lua_pop(L, 1);

  // ---- math.floor/ceil: LuaJIT's give doubles (Lua 5.3's give integers); builtins in JS so
  // a bad argument reads as LuaJIT words it
  lua.lua_getglobal(L, lit('math'));
  for (const [name, round] of [['floor', Math.floor], ['ceil', Math.ceil]] as const) {
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      lua.lua_pushnumber(L2, round(lauxlib.luaL_checknumber(L2, 1)));
      return 1;
    });
    lua.lua_setfield(L, -2, lit(name));
  }
  // math.max/min as LuaJIT's maxsd/minsd fold them: m = m > x ? m : x, so a NaN is kept only
  // when it comes last (Lua 5.3 keeps a leading NaN)
  for (const [name, keep] of [['max', (m: number, x: number) => m > x], ['min', (m: number, x: number) => m < x]] as const) {
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      let m = lauxlib.luaL_checknumber(L2, 1);
      for (let i = 2, n = lua.lua_gettop(L2); i <= n; i++) {
        const x = lauxlib.luaL_checknumber(L2, i);
        m = keep(m, x) ? m : x;
      }
      lua.lua_pushnumber(L2, m);
      return 1;
    });
    lua.lua_setfield(L, -2, lit(name));
  }
  lua.lua_pop(L, 1);

  // ---- type(): bridged tables (modules, field tables) are tables, tensors userdata ----
  lua.lua_pushcfunction(L, b.raw((L: LuaState) => {
    lauxlib.luaL_checkany(L, 1);
    pushString(L, typeName(b, L, 1));
    return 1;
  }));
  lua.lua_setglobal(L, lit('type'));
  void existsSync;
}

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (e as Error).message;
}

const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** os.date: strftime's common conversions, '*t' tables, '!' for UTC (C locale). */
export function osDate(format: string, time?: number): unknown {
  let utc = false;
  if (format.startsWith('!')) {
    utc = true;
    format = format.slice(1);
  }
  const d = new Date(time === undefined ? Date.now() : time * 1000);
  const get = {
    Y: utc ? d.getUTCFullYear() : d.getFullYear(),
    m: (utc ? d.getUTCMonth() : d.getMonth()) + 1,
    d: utc ? d.getUTCDate() : d.getDate(),
    H: utc ? d.getUTCHours() : d.getHours(),
    M: utc ? d.getUTCMinutes() : d.getMinutes(),
    S: utc ? d.getUTCSeconds() : d.getSeconds(),
    w: utc ? d.getUTCDay() : d.getDay(),
  };
  const yday = Math.floor((Date.UTC(get.Y, get.m - 1, get.d) - Date.UTC(get.Y, 0, 1)) / 86400000) + 1;
  if (format.startsWith('*t')) {
    return LuaTable.fromRecord(Object.fromEntries([
      ['year', get.Y], ['month', get.m], ['day', get.d], ['hour', get.H], ['min', get.M], ['sec', get.S],
      ['wday', get.w + 1], ['yday', yday], ['isdst', false],
    ]));
  }
  const p2 = (n: number) => String(n).padStart(2, '0');
  const conv: Record<string, () => string> = {
    Y: () => String(get.Y), y: () => p2(get.Y % 100), m: () => p2(get.m), d: () => p2(get.d),
    H: () => p2(get.H), M: () => p2(get.M), S: () => p2(get.S), p: () => (get.H < 12 ? 'AM' : 'PM'),
    I: () => p2(get.H % 12 || 12), j: () => String(yday).padStart(3, '0'),
    A: () => days[get.w]!, a: () => days[get.w]!.slice(0, 3), B: () => months[get.m - 1]!, b: () => months[get.m - 1]!.slice(0, 3),
    e: () => String(get.d).padStart(2, ' '), w: () => String(get.w), '%': () => '%', n: () => '\n', t: () => '\t',
  };
  conv.c = () => `${conv.a!()} ${conv.b!()} ${conv.e!()} ${conv.H!()}:${conv.M!()}:${conv.S!()} ${get.Y}`;
  conv.x = () => `${conv.m!()}/${conv.d!()}/${conv.y!()}`;
  conv.X = () => `${conv.H!()}:${conv.M!()}:${conv.S!()}`;
  conv.D = conv.x;
  conv.T = conv.X;
  conv.F = () => `${get.Y}-${conv.m!()}-${conv.d!()}`;
  return format.replace(/%(.)/g, (m, c: string) => (conv[c] ? conv[c]!() : m));
}
