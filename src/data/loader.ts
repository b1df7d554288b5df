// fb.resnet.torch's DataLoader (dataloader.lua): a pool of -nThreads loader threads, each
// with its own generator seeded manualSeed + its index; every epoch `run()` draws
// torch.randperm(size) from the MAIN generator and hands out batches of `batchSize`
// indices (perm narrowed in order; ten-crop validation takes floor(batchSize / 10) images).
// Batches are prepared by worker threads while the trainer computes, at most a few ahead.
// Jobs go to the threads round-robin and come back in job order, so with one thread the
// numbers are fb.resnet.torch's -nThreads 1 (with more, fb's assignment is first-free:
// any assignment is as valid, and this one is reproducible). nThreads 0 prepares
// batches on the calling thread, drawing as thread 1 would.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { randpermValues, type Generator } from '../torch/random.js';
import { BatchMaker, type Batch, type BatchMakerOptions } from './batch_maker.js';
import type { CifarName, CifarSplit } from './cifar.js';
import type { Split } from './transforms.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './loader_worker.js';

/** fb.resnet.torch's dataloader options (opts.lua's -batchSize, -nThreads, -manualSeed, -tenCrop). */
export interface DataLoaderOptions {
  /** 'cifar10' or 'cifar100'. */
  dataset: CifarName;
  /** 'train' (shuffled, augmented) or 'val' (in order). */
  split: Split;
  /** Images per batch, crops included (ten-crop divides it by 10). */
  batchSize: number;
  /** Worker threads making batches (0: in this thread). */
  nThreads: number;
  /** Seed of the threads' generators (thread i: manualSeed + i); 0 seeds from entropy. */
  manualSeed: number;
  /** Ten-crop validation (default false). */
  tenCrop?: boolean;
}

interface Pending {
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
}

/** One loader thread: a worker, or (nThreads 0) a BatchMaker in this thread. */
class LoaderThread {
  private worker: Worker | null = null;
  private local: BatchMaker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;

  constructor(init: WorkerInit, inProcess: boolean) {
    if (inProcess) {
      this.local = new BatchMaker(init.data, init.labels, init.options);
      return;
    }
    // Under tsx (tests, `node --import tsx`) the worker is the .ts file next to this one and
    // registers tsx itself first (a worker does not inherit the main thread's loader).
    const ts = import.meta.url.endsWith('.ts');
    const file = new URL(ts ? './loader_worker.ts' : './loader_worker.js', import.meta.url).href;
    const boot = ts
      ? `import(${JSON.stringify(tsxApiUrl())}).then((api) => { api.register(); return import(${JSON.stringify(file)}); });`
      : `import(${JSON.stringify(file)});`;
    this.worker = new Worker(boot, { eval: true, workerData: init });
    this.worker.on('message', (r: WorkerReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.kind === 'error') p.reject(new Error(`data loader thread ${init.options.threadIndex}: ${r.message}`));
      else p.resolve(r);
    });
    this.worker.on('error', (e) => this.fail(new Error(`data loader thread ${init.options.threadIndex} failed: ${e.message}`)));
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0) this.fail(new Error(`data loader thread ${init.options.threadIndex} exited (code ${code})`));
    });
  }

  private fail(e: Error): void {
    this.failure = e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private request(req: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject });
      this.worker!.postMessage(req, transfer);
    });
  }

  async job(indices: Int32Array): Promise<Batch> {
    if (this.local) return this.local.make(indices);
    const r = await this.request({ kind: 'job', id: this.nextId++, indices });
    if (r.kind !== 'batch') throw new Error(`data loader: unexpected reply ${r.kind}`);
    return { input: r.input, target: r.target, size: r.size, nCrops: r.nCrops };
  }

  async getState(): Promise<Uint8Array> {
    if (this.local) return this.local.generator.getState();
    const r = await this.request({ kind: 'getState', id: this.nextId++ });
    if (r.kind !== 'state') throw new Error(`data loader: unexpected reply ${r.kind}`);
    return r.state;
  }

  async setState(state: Uint8Array): Promise<void> {
    if (this.local) {
      this.local.generator.setState(state);
      return;
    }
    await this.request({ kind: 'setState', id: this.nextId++, state: state.slice() });
  }

  async close(): Promise<void> {
    if (this.worker) await this.worker.terminate();
    this.worker = null;
  }
}

/** tsx's ESM API (a dev dependency: only used when running from the .ts sources). */
function tsxApiUrl(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href;
}

function shared(bytes: Uint8Array): Uint8Array {
  const s = new Uint8Array(new SharedArrayBuffer(bytes.length));
  s.set(bytes);
  return s;
}

/**
 * fb.resnet.torch's dataloader.lua: batches made by worker threads, each with its own generator, in
 * Torch7's order and numbers.
 */
export class DataLoader {
  /** Crops per image: 10 for ten-crop validation, else 1. */
  readonly nCrops: number;
  /** Images per batch, not counting crops. */
  readonly batchSize: number;
  private readonly threads: LoaderThread[];
  private readonly n: number;

  /**
   * @param data the split to draw from.
   * @param options batch size, threads, seed, crops.
   */
  constructor(data: CifarSplit, options: DataLoaderOptions) {
    this.nCrops = options.split === 'val' && options.tenCrop ? 10 : 1;
    this.batchSize = Math.floor(options.batchSize / this.nCrops);
    if (this.batchSize < 1) throw new RangeError(`DataLoader: batch size ${options.batchSize} holds no image of ${this.nCrops} crops`);
    this.n = data.size;
    const count = Math.max(1, options.nThreads);
    const imageBytes = options.nThreads > 0 ? shared(data.data) : data.data;
    const labels = options.nThreads > 0 ? shared(data.labels) : data.labels;
    this.threads = [];
    for (let idx = 1; idx <= count; idx++) {
      const makerOptions: BatchMakerOptions = {
        dataset: options.dataset,
        split: options.split,
        nCrops: this.nCrops,
        manualSeed: options.manualSeed,
        threadIndex: idx,
      };
      this.threads.push(new LoaderThread({ data: imageBytes, labels, options: makerOptions }, options.nThreads === 0));
    }
  }

  /** Number of images. */
  datasetSize(): number {
    return this.n;
  }

  /** Batches per epoch: ceil(size / batchSize). */
  size(): number {
    return Math.ceil(this.n / this.batchSize);
  }

  /**
   * One epoch: draws torch.randperm(size) from `mainGenerator` now (as DataLoader:run does),
   * then yields the batches in order while the next ones are being prepared.
   */
  run(mainGenerator: Generator): AsyncGenerator<Batch> {
    const perm = randpermValues(mainGenerator, this.n);
    const jobs: Int32Array[] = [];
    for (let idx = 0; idx < this.n; idx += this.batchSize) jobs.push(Int32Array.from(perm.subarray(idx, Math.min(idx + this.batchSize, this.n))));
    return this.serve(jobs);
  }

  private async *serve(jobs: Int32Array[]): AsyncGenerator<Batch> {
    const ahead = Math.max(2, 2 * this.threads.length);
    const inFlight: Promise<Batch>[] = [];
    let next = 0;
    const fill = () => {
      while (next < jobs.length && inFlight.length < ahead) {
        const p = this.threads[next % this.threads.length]!.job(jobs[next]!);
        p.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
        inFlight.push(p);
        next++;
      }
    };
    fill();
    while (inFlight.length > 0) {
      const batch = await inFlight.shift()!;
      fill();
      yield batch;
    }
  }

  /** The loader threads' generator states (for a resume that continues their draws). */
  async getStates(): Promise<Uint8Array[]> {
    return Promise.all(this.threads.map((t) => t.getState()));
  }

  /**
   * Restores the threads' generator states saved by getStates() (a resumed run continues their draws);
   * needs the same number of threads.
   */
  async setStates(states: readonly Uint8Array[]): Promise<void> {
    if (states.length !== this.threads.length) {
      throw new RangeError(`DataLoader: ${states.length} saved loader-thread generator states for ${this.threads.length} threads (resume with the same -nThreads)`);
    }
    await Promise.all(this.threads.map((t, i) => t.setState(states[i]!)));
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
