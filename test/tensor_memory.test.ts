// Every tfjs tensor has exactly one owner: a storage owns its device tensor, releases
// it when replaced, when written from the host, on dispose(), and (for storages that
// are simply dropped) through a FinalizationRegistry once they are garbage collected.
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { forEachBackend, initBackend } from '../src/backend/index.js';
import { Tensor, torch } from '../src/torch/index.js';
import { clearParkedArrays, parkedArrayCounts, pooledParkedBytes, setParkedPoolCap } from '../src/torch/parked_arrays.js';

// global.gc without a command-line flag: expose it and fetch it from a fresh context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collects garbage until the tensor count drops to `target` (finalizers run in later macrotasks). */
async function collectUntil(target: number, rounds = 100): Promise<number> {
  for (let i = 0; i < rounds && tf.memory().numTensors > target; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return tf.memory().numTensors;
}

/** Collects until tf.memory().numTensors holds still for three rounds; returns it. */
async function settle(): Promise<number> {
  let last = -1;
  for (let i = 0, still = 0; i < 100 && still < 3; i++) {
    const n = tf.memory().numTensors;
    still = n === last ? still + 1 : 0;
    last = n;
    gc();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return tf.memory().numTensors;
}

beforeAll(async () => {
  await initBackend();
});

describe('storage ownership of device tensors', () => {
  it('replacing, host writes and dispose() release the device tensor at once', () => {
    const start = tf.memory().numTensors;
    const t = torch.FloatTensor(2, 3);
    t.setTF(tf.ones([2, 3]));
    expect(tf.memory().numTensors).toBe(start + 1);
    expect(t.storage().home()).toBe('device');
    t.setTF(tf.zeros([3, 2])); // the old device tensor is disposed
    expect(tf.memory().numTensors).toBe(start + 1);
    expect(t.size()).toEqual([3, 2]);
    t.add(1); // host math: the device copy becomes stale and is released
    expect(tf.memory().numTensors).toBe(start);
    expect(t.values()).toEqual([1, 1, 1, 1, 1, 1]);
    const x = t.toTF(); // a new tensor the caller owns; the host-home storage keeps no copy
    expect(tf.memory().numTensors).toBe(start + 1);
    expect(Array.from(x.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    x.dispose();
    t.storage().deviceTensor(); // an explicit upload: the storage owns that copy
    expect(tf.memory().numTensors).toBe(start + 1);
    const y = t.toTF(); // now a view of the storage's device tensor, still a new owner
    expect(tf.memory().numTensors).toBe(start + 2);
    y.dispose();
    t.storage().dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(t.values()).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('setTF on a view of part of a storage writes through it and keeps the other views', () => {
    const start = tf.memory().numTensors;
    const flat = torch.FloatTensor(10).fill(0); // like a getParameters() flat storage
    const w = flat.narrow(1, 1, 6).view(2, 3);
    const b = flat.narrow(1, 7, 4);
    w.setTF(tf.ones([2, 3]));
    b.setTF(tf.fill([4], 2));
    expect(w.storage()).toBe(flat.storage());
    expect(flat.storage().size()).toBe(10);
    expect(flat.values()).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(() => b.setTF(tf.ones([3]))).toThrow(/holds 4 elements \(sizes \[4\]\), the tfjs tensor has 3/);
    expect(tf.memory().numTensors).toBe(start);
    // a tensor covering its whole storage takes the tfjs tensor as is (same Storage object)
    const s = flat.storage();
    flat.setTF(tf.zeros([5, 2]));
    expect(flat.storage()).toBe(s);
    expect(flat.size()).toEqual([5, 2]);
    expect(s.home()).toBe('device');
    expect(w.values()).toEqual([0, 0, 0, 0, 0, 0]);
    s.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('tfjs tensors handed out are never changed by later host writes (cpu and wasm)', async () => {
    await forEachBackend(['cpu', 'wasm'], () => {
      const x = torch.FloatTensor(3).fill(1);
      x.storage().deviceTensor(); // upload; the cpu backend would keep an array it is given
      const y = x.toTF();
      x.fill(5);
      expect(Array.from(y.dataSync())).toEqual([1, 1, 1]);
      const z = torch.IntTensor([1, 2]);
      z.storage().deviceTensor();
      const w = z.toTF();
      z.add(10);
      expect(Array.from(w.dataSync())).toEqual([1, 2]);
      tf.dispose([y, w]);
      x.storage().dispose();
      z.storage().dispose();
    }, { strict: true });
  });

  it('views of a device-home storage read through it without leaking', () => {
    const start = tf.memory().numTensors;
    const a = Tensor.fromTF(tf.tensor2d([[1, 2, 3], [4, 5, 6]]));
    const row = a.select(1, 2);
    const r = row.toTF(); // a contiguous slice of the device tensor
    expect(Array.from(r.dataSync())).toEqual([4, 5, 6]);
    r.dispose();
    const c = a.t().toTF(); // non-contiguous: gathered on the host
    expect(Array.from(c.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    c.dispose();
    expect(a.narrow(2, 2, 2).sum()).toBe(2 + 3 + 5 + 6);
    a.storage().dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('fill over a whole device-home storage does not need its old contents', () => {
    const start = tf.memory().numTensors;
    const a = Tensor.fromTF(tf.ones([4]));
    a.fill(2);
    expect(a.storage().home()).toBe('host');
    expect(a.values()).toEqual([2, 2, 2, 2]);
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('channels-last activations from tfjs', () => {
  it('an NHWC tfjs tensor is a contiguous NCHW tensor; only its storage\'s device copy is channels-last', () => {
    const start = tf.memory().numTensors;
    const [n, h, w, c] = [2, 2, 3, 4];
    const data = Array.from({ length: n * h * w * c }, (_, i) => i);
    const t = Tensor.fromTF(tf.tensor4d(data, [n, h, w, c]), 'NHWC');
    expect(t.size()).toEqual([n, c, h, w]);
    expect(t.stride()).toEqual([c * h * w, h * w, w, 1]);
    expect(t.isContiguous()).toBe(true);
    expect(t.isChannelsLast()).toBe(true);
    expect(t.storage().deviceOrder()).toEqual({ c, h, w });
    // NHWC-free read, and a logical read (one permutation on the device).
    const back = t.toTFNHWC();
    expect(Array.from(back.dataSync())).toEqual(data);
    const at = (a: number, y: number, x: number, ch: number) => ((a * h + y) * w + x) * c + ch;
    const nchw = t.toTF();
    expect(nchw.shape).toEqual([n, c, h, w]);
    expect(nchw.dataSync()[((1 * c + 2) * h + 0) * w + 1]).toBe(at(1, 0, 1, 2));
    tf.dispose([nchw, back]);
    // The host sees the storage in Torch's order: element access, storage(), view.
    expect(t.get(2, 3, 1, 2)).toBe(at(1, 0, 1, 2));
    expect(t.storage().getNumber(((1 * c + 2) * h + 0) * w + 1)).toBe(at(1, 0, 1, 2));
    expect(t.view(-1).get(((1 * c + 2) * h + 0) * w + 1 + 1)).toBe(at(1, 0, 1, 2));
    // A channel view is a strided view of the same storage, with Torch's strides.
    const ch = t.select(2, 3);
    expect(ch.size()).toEqual([n, h, w]);
    expect(ch.stride()).toEqual([c * h * w, w, 1]);
    ch.fill(-1);
    expect(t.get(1, 3, 2, 3)).toBe(-1);
    expect(t.get(1, 2, 2, 3)).toBe(at(0, 1, 2, 1));
    expect(tf.memory().numTensors).toBe(start); // host writes released the device copy
    expect(t.storage().deviceOrder()).toBe(null);
  });

  it('a batch narrow of a channels-last activation reads the device copy; a channel narrow reads through the host', () => {
    const start = tf.memory().numTensors;
    const [n, h, w, c] = [3, 2, 2, 3];
    const data = Array.from({ length: n * h * w * c }, (_, i) => i + 1);
    const t = Tensor.fromTF(tf.tensor4d(data, [n, h, w, c]), 'NHWC');
    const second = t.narrow(1, 2, 2);
    expect(second.isChannelsLast()).toBe(true);
    const y = second.toTF();
    const z = t.narrow(2, 2, 1).toTF();
    const expected = t.clone(); // through the host
    expect(Array.from(y.dataSync())).toEqual(expected.narrow(1, 2, 2).values());
    expect(Array.from(z.dataSync())).toEqual(expected.narrow(2, 2, 1).values());
    tf.dispose([y, z]);
    t.storage().dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('park() moves a channels-last device copy to the host as it lies; a reader gets it back without a permutation, a write drops it', () => {
    const start = tf.memory().numTensors;
    const data = [1, 2, 3, 4, 5, 6, 7, 8];
    const t = Tensor.fromTF(tf.tensor4d(data, [1, 2, 2, 2]), 'NHWC');
    const s = t.storage();
    s.park();
    expect(tf.memory().numTensors).toBe(start);
    expect(s.isParked()).toBe(true);
    expect(s.onDevice()).toBe(false);
    // uploaded again channels-last: toTFNHWC reads it as it lies
    const back = t.toTFNHWC();
    expect(Array.from(back.dataSync())).toEqual(data);
    back.dispose();
    expect(s.deviceOrder()).toEqual({ c: 2, h: 2, w: 2 });
    // on the device again; parked again, the parked copy is still current (nothing read back)
    expect(s.isParked()).toBe(false);
    s.park();
    expect(s.isParked()).toBe(true);
    expect(tf.memory().numTensors).toBe(start);
    // the host sees Torch's order
    expect(t.values()).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
    expect(s.isParked()).toBe(false);
    // uploaded again and parked copy current: the host reads the parked copy, in Torch's order
    const v = Tensor.fromTF(tf.tensor4d(data, [1, 2, 2, 2]), 'NHWC');
    v.storage().park();
    v.toTFNHWC().dispose();
    expect(v.storage().onDevice()).toBe(true);
    expect(v.values()).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
    v.storage().dispose();
    // a write after parking: the parked copy is gone, the device gets the new values
    const u = Tensor.fromTF(tf.tensor4d(data, [1, 2, 2, 2]), 'NHWC');
    u.storage().park();
    u.fill(7);
    const w = u.toTF();
    expect(Array.from(w.dataSync())).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    w.dispose();
    s.dispose();
    u.storage().dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('a dropped parked copy\'s array serves the next park of that size (wasm), with the new values; the cpu backend gets a copy of it', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const start = tf.memory().numTensors;
    clearParkedArrays(); // the pool holds arrays of earlier tests' parks
    const before = { ...parkedArrayCounts };
    const a = Tensor.fromTF(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]), 'NHWC');
    a.storage().park();
    expect(parkedArrayCounts.made).toBe(before.made + 1);
    // a new output in the same storage (a module's next forward): the parked array goes back
    a.setTF(tf.tensor4d([9, 10, 11, 12, 13, 14, 15, 16], [1, 2, 2, 2]));
    const b = Tensor.fromTF(tf.tensor4d([8, 7, 6, 5, 4, 3, 2, 1], [1, 2, 2, 2]), 'NHWC');
    b.storage().park();
    expect(parkedArrayCounts.reused).toBe(before.reused + 1);
    expect(parkedArrayCounts.made).toBe(before.made + 1);
    expect(b.values()).toEqual([8, 6, 4, 2, 7, 5, 3, 1]);
    expect(a.values()).toEqual([9, 10, 11, 12, 13, 14, 15, 16]);
    // parked on wasm, uploaded on cpu (which keeps the array it gets): later parks must not reach it
    const c = Tensor.fromTF(tf.tensor4d([1, 1, 2, 2, 3, 3, 4, 4], [1, 2, 2, 2]), 'NHWC');
    c.storage().park();
    await tf.setBackend('cpu');
    try {
      const onCpu = c.toTFNHWC();
      c.fill(0); // drops the parked copy: its array goes back to the pool
      await tf.setBackend('wasm');
      const e = Tensor.fromTF(tf.tensor4d([6, 6, 6, 6, 6, 6, 6, 6], [1, 2, 2, 2]), 'NHWC');
      e.storage().park(); // takes the array c's parked copy had
      await tf.setBackend('cpu');
      expect(Array.from(onCpu.dataSync())).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
      onCpu.dispose();
      await tf.setBackend('wasm');
      e.storage().dispose();
    } finally {
      await tf.setBackend('wasm');
    }
    a.storage().dispose();
    b.storage().dispose();
    c.storage().dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('a full pool of parked arrays makes room for the size parked now', () => {
    clearParkedArrays();
    const was = setParkedPoolCap(3 * 32);
    try {
      const parkAndDrop = (n: number) => {
        const t = Tensor.fromTF(tf.ones([1, 2, 2, n]) as tf.Tensor4D, 'NHWC');
        t.storage().park();
        t.storage().dispose(); // reads the parked copy to the host and drops it: the array goes back
      };
      parkAndDrop(4); // 64 bytes pooled
      expect(pooledParkedBytes()).toBe(64);
      parkAndDrop(2); // 32 more: 96, at the cap
      expect(pooledParkedBytes()).toBe(96);
      const before = parkedArrayCounts.reused;
      parkAndDrop(6); // 96 bytes: the older arrays go, this one stays
      expect(parkedArrayCounts.reused).toBe(before);
      expect(pooledParkedBytes()).toBe(96);
      parkAndDrop(6); // and serves the next park of its size
      expect(parkedArrayCounts.reused).toBe(before + 1);
      parkAndDrop(8); // larger than the cap: never pooled
      expect(pooledParkedBytes()).toBe(96);
    } finally {
      setParkedPoolCap(was);
      clearParkedArrays();
    }
  });

  it('deviceTensor() puts a channels-last device copy in the storage\'s order', () => {
    const t = Tensor.fromTF(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]), 'NHWC');
    expect(Array.from(t.storage().deviceTensor().dataSync())).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
    expect(t.storage().deviceOrder()).toBe(null);
    expect(t.values()).toEqual([1, 3, 5, 7, 2, 4, 6, 8]);
    t.storage().dispose();
  });
});

describe('10,000 tensors created, viewed, mutated and dropped', () => {
  it('tf.memory().numTensors returns to where it started, on cpu and on wasm', async () => {
    const ran: string[] = [];
    await forEachBackend(['cpu', 'wasm'], async (name) => {
      ran.push(name);
      await churn();
    }, { strict: true });
    expect(ran).toEqual(['cpu', 'wasm']);
  });
});

/** Creates, views, mutates and drops 10,000 tensors, some crossing to tfjs, and checks the count. */
async function churn(): Promise<void> {
  // Earlier suites in this worker process may have left dropped storages for the
  // finalizers: collect until the count holds still, so they do not count as ours.
  const start = await settle();
  let checksum = 0;
  for (let i = 0; i < 10_000; i++) {
    const t = torch.FloatTensor(4, 6).fill(i % 7);
    const v = t.narrow(1, 2, 2);
    v.add(1);
    v.t().mul(2);
    switch (i % 8) {
      case 0: {
        t.storage().deviceTensor(); // t's storage keeps an uploaded copy until it is dropped
        const x = t.toTF(); // the caller owns x
        checksum += x.size;
        x.dispose();
        break;
      }
      case 1: {
        const a = Tensor.fromTF(tf.fill([2, 3, 4, 5], i % 5));
        a.select(1, 1).add(1); // pulls to the host, releases the device copy
        const y = a.toTF();
        y.dispose();
        break;
      }
      case 2: {
        t.setTF(tf.zeros([4, 6])); // replaces the storage's contents with a device tensor
        t.select(1, 1).fill(3);
        break;
      }
      case 3: {
        // Dropped while the device holds the truth: only the finalizer can release it.
        Tensor.fromTF(tf.ones([2, 2])).narrow(1, 1, 1);
        break;
      }
      case 4: {
        const nhwc = Tensor.fromTF(tf.ones([2, 3, 3, 4]), 'NHWC');
        const z = nhwc.toTFNHWC();
        const w = nhwc.toTF();
        checksum += z.size + w.size;
        tf.dispose([z, w]);
        break;
      }
      case 5: {
        const u = t.clone().view(24);
        u.toTF().dispose();
        u.storage().dispose();
        break;
      }
      default:
        checksum += t.sum();
    }
  }
  expect(checksum).toBeGreaterThan(0);
  // Finalizers run in later tasks, never inside this synchronous loop: the 1,250 dropped
  // device-home storages (case 3) and 1,250 uploaded copies (case 0) are still alive.
  expect(tf.memory().numTensors).toBeGreaterThanOrEqual(start + 2500);
  const end = await collectUntil(start);
  expect(end).toBe(start);
}
