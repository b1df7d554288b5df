// torch.DiskFile / torch.MemoryFile / torch.PipeFile and io.popen under `mpelu run`, with
// the semantics of Torch7's File.c / THDiskFile.c / THMemoryFile.c: ascii by default
// (autoSpacing: ' ' between the values of one call, '\n' after them; %.9g floats, %.17g
// doubles), binary on request, 1-based seek/position, short reads as errors or (quiet)
// hasError(), readObject/writeObject with one table of references per file and the bytes
// torch.save writes. (io_files in test/lua_th_fixtures checks DiskFile against real th.)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mpeluRun } from './helpers/mpelu_run.js';

const dir = mkdtempSync(join(tmpdir(), 'mpelu-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lua(code: string): Promise<string> {
  const r = await mpeluRun(['-e', code], dir);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return r.stdout.toString('latin1');
}

describe('torch.DiskFile', () => {
  it('writes ascii as Torch does and reads it back', async () => {
    const out = await lua(`
      local f = torch.DiskFile('ascii.txt', 'w')
      f:writeInt(3); f:writeDouble(0.1); f:writeFloat(torch.FloatStorage({1.5, 2, 0.1}))
      f:writeLong(torch.LongStorage({-7, 8})); f:writeChar(torch.CharStorage():string('ab'))
      f:noAutoSpacing(); f:writeInt(torch.IntStorage({1, 2})); f:autoSpacing()
      f:writeString('tail')
      print(torch.type(f), f:isBinary(), f:isAutoSpacing(), f:isWritable(), f:isReadable(), f:position())
      f:close()
      local g = torch.DiskFile('ascii.txt')
      print(g:readInt(), g:readDouble(), g:readFloat(3):totable()[3], g:readLong(2)[1], g:readChar(2):string())
      print(g:readInt(), g:readString('*a'))
      g:close()
      print(pcall(g.readInt, g))
    `);
    expect(readFileSync(join(dir, 'ascii.txt'), 'latin1')).toBe('3\n0.10000000000000001\n1.5 2 0.100000001\n-7 8\nab\n12tail');
    expect(out).toBe(
      'torch.DiskFile\tfalse\ttrue\ttrue\tfalse\t55\t\n' + // 54 bytes written: position 55
        '3\t0.1\t0.10000000149012\t-7\tab\t\n' +
        '12\ttail\t\n' +
        'false\tattempt to use a closed file\t\n',
    );
  });

  it('binary mode, seek and position, short reads loud or quiet, bad names', async () => {
    const out = await lua(`
      local f = torch.DiskFile('bin.dat', 'w'):binary()
      f:writeInt(torch.IntStorage({1, 2, 3})); f:writeDouble(2.5); f:writeShort(-2)
      f:close()
      local g = torch.DiskFile('bin.dat', 'r'):binary()
      print(g:readInt(), g:seek(9):readInt(), g:position(), g:readDouble(), g:readShort())
      print(pcall(g.readInt, g))
      g:quiet()
      print(g:readInt(), g:hasError(), g:clearError():hasError(), #g:readDouble(4))
      print(torch.DiskFile('/nonexistent/dir/x', 'r', true))
      local ok, err = pcall(torch.DiskFile, '/nonexistent/dir/x', 'r')
      print(ok, err:match('cannot open </nonexistent/dir/x> in mode r ') ~= nil)
      print(pcall(torch.DiskFile, 'bin.dat', 'x'))
    `);
    expect(readFileSync(join(dir, 'bin.dat')).length).toBe(12 + 8 + 2);
    const lines = out.split('\n');
    expect(lines[0]).toBe('1\t3\t13\t2.5\t-2\t');
    expect(lines[1]).toBe('false\tread error: read 0 blocks instead of 1\t');
    expect(lines[2]).toBe('0\ttrue\tfalse\t0\t');
    expect(lines[3]).toBe('nil\t');
    expect(lines[4]).toBe('false\ttrue\t');
    expect(lines[5]).toMatch(/^false\t.*file mode should be 'r','w' or 'rw'/);
  });

  it('writeObject writes the bytes torch.save writes; readObject keeps shared objects shared', async () => {
    const out = await lua(`
      local x = torch.FloatTensor(2, 3):fill(1.5)
      require 'nn'
      local obj = {a = x, b = x, n = 3, s = 'str', m = nn.Linear(3, 2)}
      torch.save('saved.t7', obj)
      local f = torch.DiskFile('file.t7', 'w'):binary()
      f:writeObject(obj)
      f:writeObject(x)          -- the same tensor again: a reference to the first one
      f:close()
      local g = torch.DiskFile('file.t7'):binary()
      local back = g:readObject()
      local again = g:readObject()
      print(back.a == back.b, again == back.a, back.n, back.s, torch.type(back.m), back.a:sum())
      local h = torch.DiskFile('ascii.t7', 'w'); h:writeObject(obj); h:close()
      print(torch.load('ascii.t7', 'ascii').m.weight:size(1), torch.DiskFile('ascii.t7'):readObject().n)
    `);
    expect(out).toBe('true\ttrue\t3\tstr\tnn.Linear\t9\t\n2\t3\t\n');
    const saved = readFileSync(join(dir, 'saved.t7'));
    const written = readFileSync(join(dir, 'file.t7'));
    expect(written.subarray(0, saved.length).equals(saved)).toBe(true);
    expect(written.length).toBeGreaterThan(saved.length); // + the reference: tag and index
    expect(written.length - saved.length).toBe(8);
  });
});

describe('torch.MemoryFile and torch.PipeFile', () => {
  it('serializes through a MemoryFile and its CharStorage, as torch.serialize does', async () => {
    const out = await lua(`
      local f = torch.MemoryFile():binary()
      f:writeObject({1, 2, torch.DoubleTensor({4, 5})})
      local s = f:storage()
      f:close()
      print(torch.type(s), s:size() == #torch.serialize({1, 2, torch.DoubleTensor({4, 5})}) + 1)
      local g = torch.MemoryFile(s, 'r'):binary()
      local t = g:readObject()
      print(t[1], t[2], t[3][2])
      local a = torch.MemoryFile('rw'); a:writeInt(42); a:writeString('x'); a:seek(1)
      print(a:readInt(), a:readString('*a'))
    `);
    expect(out).toBe('torch.CharStorage\ttrue\t\n1\t2\t5\t\n42\tx\t\n');
  });

  it('PipeFile and io.popen read a command\'s output; io.popen(cmd, "w") feeds one', async () => {
    const out = await lua(`
      local p = torch.PipeFile('printf "3 4\\\\n"'); print(p:readInt(), p:readInt()); p:close()
      local q = io.popen('echo one; echo two')
      print(io.type(q), q:read('*l'), q:read('*a'))
      print(q:close())
      local w = io.popen('tr a-z A-Z', 'w')
      w:write('piped\\n')
      w:close()
      for line in io.popen('printf "a\\\\nb\\\\n"'):lines() do io.write('[', line, ']') end
      print()
    `);
    expect(out).toBe('3\t4\t\nfile\tone\ttwo\n\t\ntrue\t\nPIPED\n[a][b]'); // print() prints nothing in th
  });
});
