// `mpelu inspect` and `mpelu convert`.

import { linkSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as t7 from '../src/t7/index.js';
import { compareWithDescription } from '../src/t7/compare.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { TorchObject } from '../src/t7/torch_object.js';
import { Tensor } from '../src/torch/tensor.js';
import { Storage } from '../src/torch/storage.js';
import { inspectFile, inspectText } from '../src/cli/inspect.js';
import { runMpeluInProcess } from './helpers/run_in_process.js';
import { convertFile } from '../src/cli/convert.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const RESNET = join(FIX, 'torch7/resnet/depth20');
const SER = join(FIX, 'torch7/serialization');
const tmp = mkdtempSync(join(tmpdir(), 't7-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runMpeluInProcess;

describe('mpelu inspect', () => {
  it("prints an nn model in Torch's print(model) format", async () => {
    const text = await run('inspect', join(RESNET, 'model_1.t7'));
    const [head, ...rest] = text.trimEnd().split('\n');
    expect(head).toMatch(/model_1\.t7: binary, 8-byte longs, 1821746 bytes/);
    const torchPrint = readFileSync(join(FIX, 'torch7/print/depth20.txt'), 'utf8').trimEnd();
    expect(rest.join('\n')).toBe(torchPrint);
  });

  it('prints tensors with type, sizes and statistics, tables as a tree', () => {
    const text = inspectFile(join(RESNET, 'optimState_1.t7'));
    expect(text).toMatch(/^ {2}learningRate : 0\.1$/m);
    expect(text).toMatch(/^ {2}nesterov : true$/m);
    const lr = (t7.load(join(RESNET, 'optimState_1.t7')) as LuaTable).get('learningRates') as Tensor;
    const st = t7.tensorStats(lr)!;
    expect(text).toContain(`learningRates : torch.FloatTensor of size 219642 [min ${st.min}, max ${st.max}, mean ${t7.formatG(st.mean, 6)}, std ${t7.formatG(st.std, 6)}]`);
    const tree = inspectText(t7.load(join(SER, 'table_cycle.t7')));
    expect(tree).toContain('self : <same as (root)>');
    expect(tree).toMatch(/child : \{\n {4}name : "child"\n {4}parent : <same as \(root\)>\n {2}\}/);
  });

  it('--path narrows to one object', async () => {
    const text = await run('inspect', join(RESNET, 'model_1.t7'), '--path', 'modules[1].weight');
    const w = ((t7.load(join(RESNET, 'model_1.t7')) as TorchObject).fields.get('modules') as LuaTable).get(1) as TorchObject;
    const st = t7.tensorStats(w.fields.get('weight') as Tensor)!;
    expect(text).toContain('torch.FloatTensor of size 16x3x3x3');
    expect(text).toContain(`min ${t7.formatG(st.min as number, 6)}, max ${t7.formatG(st.max as number, 6)}`);
    expect(text).toContain('offset 1, storage of 219642');
    expect(() => inspectFile(join(RESNET, 'model_1.t7'), { path: 'modules[99]' })).toThrow(/no \[99\] in modules/);
  });

  it('--json=exact gives the sidecar description format', async () => {
    const json = JSON.parse(await run('inspect', join(SER, 'tensor_shared_storage.t7'), '--json=exact')) as { format: string; longSize: number; object: t7.Description };
    expect(json.format).toBe('binary');
    expect(json.longSize).toBe(8);
    const side = JSON.parse(readFileSync(join(SER, 'tensor_shared_storage.expected.json'), 'utf8')) as { object: t7.Description };
    // the printed description checks out against the file it describes, as the sidecar does
    expect(compareWithDescription(json.object, t7.load(join(SER, 'tensor_shared_storage.t7')))).toEqual([]);
    expect(json.object.nEntries).toBe(side.object.nEntries);
    const sub = JSON.parse(await run('inspect', join(RESNET, 'optimState_1.t7'), '--json=exact', '--path', 'learningRates')) as { object: t7.Description };
    expect(sub.object.kind).toBe('tensor');
    expect(sub.object.size).toEqual([219642]);
    expect(typeof sub.object.mean).toBe('number');
  });

  it('reads ascii files and names functions and tds containers', () => {
    expect(inspectFile(join(SER, 'custom_class.ascii.t7'))).toMatch(/ascii, 107 bytes|ascii, \d+ bytes/);
    expect(inspectFile(join(FIX, 'torchfile/function_upvals.t7'))).toMatch(/function \(\d+ bytes of LuaJIT bytecode, not run; 1 upvalue/);
    expect(inspectFile(join(FIX, 'torchfile/tds_hash.t7'))).toContain('tds.Hash[3] {');
  });
});

describe('mpelu convert', () => {
  it('binary <-> ascii keeps the content; back again gives the original bytes', async () => {
    const src = join(RESNET, 'optimState_1.t7');
    const ascii = join(tmp, 'optim.ascii.t7');
    const bin = join(tmp, 'optim.bin.t7');
    expect(await run('convert', src, ascii, '--ascii')).toMatch(/wrote .*optim\.ascii\.t7 \(ascii\)/);
    expect(t7.loadWithInfo(ascii).format).toBe('ascii');
    await run('convert', ascii, bin, '--binary');
    expect(Buffer.compare(readFileSync(bin), readFileSync(src))).toBe(0);
  });

  it('--long-size 4 writes 4-byte longs that load by detection', async () => {
    const out = join(tmp, 'model_b32.t7');
    await run('convert', join(RESNET, 'model_init.t7'), out, '--long-size', '4');
    const info = t7.loadWithInfo(out);
    expect(info.longSize).toBe(4);
    expect(t7.describe(info.value)).toEqual(t7.describe(t7.load(join(RESNET, 'model_init.t7'))));
    await expect(run('convert', join(RESNET, 'model_init.t7'), out, '--long-size', '2')).rejects.toThrow(/4 or 8/);
  });

  it('--float turns Double and CUDA tensors into Float, keeping views and sharing', async () => {
    const s = new Storage('Double', new Float64Array([1, 2, 3, 4, 5, 6]));
    const a = Tensor.fromStorage(s, 0, [2, 3]);
    const m = new TorchObject('nn.Linear', 1, LuaTable.fromRecord({ weight: a, bias: a.select(1, 2), _type: 'torch.DoubleTensor' }));
    const idx = Tensor.fromStorage(new Storage('Long', new BigInt64Array([3n, 1n])), 0, [2]);
    idx.sourceClass = 'torch.CudaLongTensor';
    idx.storage().sourceClass = 'torch.CudaLongStorage';
    const file = join(tmp, 'double.t7');
    t7.save(file, { m, idx });
    const out = join(tmp, 'float.t7');
    expect(await run('convert', file, out, '--float')).toMatch(/3 tensors and 2 storages made Float\/CPU/);
    const back = t7.load(out) as LuaTable;
    const bm = back.get('m') as TorchObject;
    const w = bm.fields.get('weight') as Tensor;
    const b = bm.fields.get('bias') as Tensor;
    expect(w.className()).toBe('torch.FloatTensor');
    expect(b.storage()).toBe(w.storage());
    expect([b.storageOffset(), ...b.size(), ...b.values()]).toEqual([4, 3, 4, 5, 6]);
    expect(bm.fields.get('_type')).toBe('torch.FloatTensor');
    const bi = back.get('idx') as Tensor;
    expect([bi.className(), bi.storage().className()]).toEqual(['torch.LongTensor', 'torch.LongStorage']);
    expect(bi.bigValues()).toEqual([3n, 1n]);
  });

  it('never overwrites its input, even through a hard link', async () => {
    const src = join(tmp, 'keep.t7');
    t7.save(src, { a: 1 });
    const before = readFileSync(src);
    await expect(run('convert', src, src, '--ascii')).rejects.toThrow(/refusing to overwrite the input/);
    const link = join(tmp, 'keep-link.t7');
    linkSync(src, link);
    expect(() => convertFile(src, link, { format: 'ascii' })).toThrow(/refusing to overwrite the input/);
    expect(Buffer.compare(readFileSync(src), before)).toBe(0);
  });
});
