// Worker threads that run mpelu's WebAssembly kernels on tfjs-backend-wasm's heap, so one
// kernel call can use every core. The heap must be a shared WebAssembly.Memory (shared_heap.ts
// makes tfjs-wasm's SIMD build allocate one); each worker instantiates the kernel modules on
// that same memory and runs lists of calls the calling thread records: a kernel splits its
// work into parts (whole images, rows, or runs with sums of their own), runs part 0 itself
// and hands part i to worker i - 1. Where a sum is cut, the runs are fixed by the shape and
// added in order by the kernel, so results do not depend on the thread count.
//
// The caller blocks in Atomics.wait until its workers are done (the nn API is synchronous).
// Control lives in one SharedArrayBuffer per worker: a job sequence number, a done number,
// a status and the records [function id, 16 i32 arguments]. Kernel modules reach the workers
// over a MessagePort read with receiveMessageOnPort (a busy worker runs no event loop).
// A worker that has not started on its part when the caller is done with its own (not
// scheduled yet, on a busy machine) has the part taken back and run by the caller, so a call
// never waits for a thread to be scheduled; one that has started has its last units (runs of
// calls that must stay together, see CallList) taken over one by one while it works on the
// first, and a worker done with its part takes the caller's last units the same way: on a
// ResNet-164 step the worker finished 0.2-5 ms after the caller on ~140 of 1,155 calls (~110 ms
// of waiting per step). Which thread runs a part or a unit does not change it.
// Workers are unref'd (they never keep the process alive) and told to stop on exit; an error
// inside a worker comes back as an Error in the caller; a worker that stops answering makes
// the call fail after WAIT_LIMIT_MS instead of hanging.

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';

export type KernelFn = (...args: number[]) => void;

interface SharedWasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
};

/** Control block layout (Int32Array indices). */
const SEQ = 0;
const DONE = 1;
const STATUS = 2;
const COUNT = 3;
const FNS = 4;
const DEAD = 5;
const MSG_LEN = 6;
/** Who runs the posted records: POSTED, then the worker (TAKEN_BY_WORKER) or the caller (TAKEN_BY_CALLER). */
const CLAIM = 7;
const POSTED = 1;
const TAKEN_BY_WORKER = 2;
const TAKEN_BY_CALLER = 3;
/** The sequence number of the records in place (written before they are POSTED). */
const JOB = 8;
/** Units of the posted records not yet claimed: (next << 16) | end (the worker claims from the front, the caller steals from the back). */
const RANGE = 9;
/** In the caller's control block: units of its part a worker has claimed and not finished yet. */
const IN_FLIGHT = 10;
/** In the caller's control block: counts the parts it has published (a worker takes units of one). */
const PUBLISHED = 11;
const MSG = 16;
const MSG_MAX = 1000;
const REC = 1024;
/** Ints per record: function id, then up to 16 arguments. */
export const REC_INTS = 17;
/** Records per round (a longer part runs in several rounds). */
const CAPACITY = 8192;
/** Where each unit's first record index lies (units + 1 entries, the last = the record count). */
const UNITS = REC + CAPACITY * REC_INTS;
const WAIT_LIMIT_MS = 300_000;
/**
 * How long an idle worker spins on its control block before it sleeps in Atomics.wait
 * (MPELU_POOL_SPIN_MS, default 1, 0 never): on a ResNet-164 step (1,375 pool calls) the
 * hand-off and waiting went from ~200 to ~140 ms; longer spins gained nothing more.
 */
const WORKER_SPIN_MS = (() => {
  const v = Number((typeof process !== 'undefined' && process.env?.['MPELU_POOL_SPIN_MS']) || 1);
  return Number.isFinite(v) && v >= 0 ? Math.min(v, 100) : 1;
})();

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { memory, ctl, port, mainCtl } = workerData;
const I = new Int32Array(ctl);
const M = new Int32Array(mainCtl);
const fns = [];
function need(n) {
  while (fns.length < n) {
    const got = receiveMessageOnPort(port);
    if (!got) throw new Error('kernel module for function ' + fns.length + ' never arrived');
    const inst = new WebAssembly.Instance(got.message.module, { env: { memory } });
    for (const name of got.message.names) fns.push(inst.exports[name]);
  }
}
function fail(e) {
  const text = String((e && e.stack) || e).slice(0, ${MSG_MAX});
  for (let i = 0; i < text.length; i++) I[${MSG} + i] = text.charCodeAt(i);
  I[${MSG_LEN}] = text.length;
}
/** Runs the records of unit u of the records in C. */
function runUnit(C, u) {
  for (let r = C[${UNITS} + u], stop = C[${UNITS} + u + 1], p = ${REC} + r * ${REC_INTS}; r < stop; r++, p += ${REC_INTS}) {
    fns[C[p]](C[p + 1], C[p + 2], C[p + 3], C[p + 4], C[p + 5], C[p + 6], C[p + 7], C[p + 8],
      C[p + 9], C[p + 10], C[p + 11], C[p + 12], C[p + 13], C[p + 14], C[p + 15], C[p + 16]);
  }
}
/** Claims and runs the units of the records in C, from the front or from the back, until none is left. */
function runUnits(C, fromBack) {
  for (;;) {
    const v = Atomics.load(C, ${RANGE});
    const next = v >>> 16;
    const end = v & 0xffff;
    if (next >= end) return;
    if (Atomics.compareExchange(C, ${RANGE}, v, fromBack ? (next << 16) | (end - 1) : ((next + 1) << 16) | end) !== v) continue;
    const u = fromBack ? end - 1 : next;
    runUnit(C, u);
  }
}
/**
 * Takes the caller's last units one by one while any are left of the part published when it
 * started (not the caller's next ones: this thread has its own jobs to get back to), each
 * counted in IN_FLIGHT until it is done: the caller waits for that count before it returns.
 */
function stealUnits(C) {
  const part = Atomics.load(C, ${PUBLISHED});
  for (;;) {
    Atomics.add(C, ${IN_FLIGHT}, 1);
    try {
      if (Atomics.load(C, ${PUBLISHED}) !== part) return;
      const v = Atomics.load(C, ${RANGE});
      const next = v >>> 16;
      const end = v & 0xffff;
      if (next >= end) return;
      if (Atomics.compareExchange(C, ${RANGE}, v, (next << 16) | (end - 1)) !== v) continue;
      runUnit(C, end - 1);
    } finally {
      Atomics.sub(C, ${IN_FLIGHT}, 1);
      Atomics.notify(C, ${IN_FLIGHT});
    }
  }
}
let seen = 0;
const spinMs = workerData.spinMs;
try {
  for (;;) {
    // spin a moment before sleeping: a kernel's next call usually follows soon, and a
    // sleeping thread takes longer to wake than the call's hand-off
    if (spinMs > 0 && Atomics.load(I, ${SEQ}) === seen) {
      const until = performance.now() + spinMs;
      for (let k = 1; Atomics.load(I, ${SEQ}) === seen; k++) if ((k & 255) === 0 && performance.now() > until) break;
    }
    Atomics.wait(I, ${SEQ}, seen);
    const seq = Atomics.load(I, ${SEQ});
    if (seq === seen) continue;
    if (seq < 0) break;
    seen = seq;
    // the caller may have run these records itself while this thread was not scheduled
    if (Atomics.compareExchange(I, ${CLAIM}, ${POSTED}, ${TAKEN_BY_WORKER}) !== ${POSTED}) continue;
    const job = Atomics.load(I, ${JOB});
    seen = job;
    try {
      need(I[${FNS}]);
      // this part's units from the front (the caller may be taking them from the back), then
      // the caller's last units while it is still on its own
      runUnits(I, false);
      stealUnits(M);
      I[${STATUS}] = 0;
    } catch (e) {
      fail(e);
      I[${STATUS}] = 1;
    }
    Atomics.store(I, ${DONE}, job);
    Atomics.notify(I, ${DONE});
  }
} catch (e) {
  fail(e);
  Atomics.store(I, ${DEAD}, 1);
  Atomics.notify(I, ${DONE});
}
`;

/**
 * One part's recorded calls: function id and up to 16 i32 arguments each, in units: runs of
 * calls that must run in order on one thread (e.g. a conv's taps adding into the same
 * outputs). Units are independent of each other, so an idle thread may take one over.
 */
export class CallList {
  ints: Int32Array = new Int32Array(REC_INTS * 64);
  count = 0;
  /** First record of each unit. */
  units: Int32Array = new Int32Array(64);
  unitCount = 0;
  private unitKey: number | undefined;

  /** Records fn(...args); `unit`: calls with the same key in a row form one unit (none: a unit of its own). */
  add(fn: number, args: readonly number[], unit?: number): void {
    if (args.length >= REC_INTS) throw new RangeError(`pool call: at most ${REC_INTS - 1} arguments, got ${args.length}`);
    if ((this.count + 1) * REC_INTS > this.ints.length) {
      const grown = new Int32Array(this.ints.length * 2);
      grown.set(this.ints);
      this.ints = grown;
    }
    if (unit === undefined || unit !== this.unitKey || this.count === 0) {
      if (this.unitCount === this.units.length) {
        const grown = new Int32Array(this.units.length * 2);
        grown.set(this.units);
        this.units = grown;
      }
      this.units[this.unitCount++] = this.count;
    }
    this.unitKey = unit;
    const p = this.count * REC_INTS;
    this.ints[p] = fn;
    for (let i = 0; i < args.length; i++) this.ints[p + 1 + i] = args[i]!;
    this.count++;
  }

  /** Appends records [from, to) of `ints` (another list's) as one unit. */
  appendUnit(ints: Int32Array, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    while ((this.count + n) * REC_INTS > this.ints.length) {
      const grown = new Int32Array(this.ints.length * 2);
      grown.set(this.ints);
      this.ints = grown;
    }
    if (this.unitCount === this.units.length) {
      const grown = new Int32Array(this.units.length * 2);
      grown.set(this.units);
      this.units = grown;
    }
    this.units[this.unitCount++] = this.count;
    this.ints.set(ints.subarray(from * REC_INTS, to * REC_INTS), this.count * REC_INTS);
    this.count += n;
    this.unitKey = undefined;
  }

  clear(): void {
    this.count = 0;
    this.unitCount = 0;
    this.unitKey = undefined;
  }
}

class PoolWorker {
  readonly ctl = new Int32Array(new SharedArrayBuffer(4 * (UNITS + CAPACITY + 1)));
  readonly port: MessagePort;
  readonly worker: Worker;
  seq = 0;
  /** Modules sent to this worker so far. */
  sentModules = 0;

  constructor(memory: SharedWasmMemory, mainCtl: Int32Array) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { memory, ctl: this.ctl.buffer, port: channel.port2, spinMs: WORKER_SPIN_MS, mainCtl: mainCtl.buffer },
      transferList: [channel.port2],
    });
    this.worker.unref();
    this.port.unref();
    // A worker that fails on its own (not inside a job) is seen by run() through DEAD.
    this.worker.on('error', () => undefined);
  }

  /** Posts records [from, from + count) of a part; `list`'s units when they are all of it, else one unit. */
  post(records: Int32Array, from: number, count: number, fnCount: number, list: CallList | null): void {
    const c = this.ctl;
    publish(c, records, from, count, list);
    c[COUNT] = count;
    c[FNS] = fnCount;
    c[STATUS] = 0;
    this.seq = this.seq >= 0x3fffffff ? 1 : this.seq + 1;
    Atomics.store(c, JOB, this.seq);
    Atomics.store(c, CLAIM, POSTED);
    Atomics.store(c, SEQ, this.seq);
    Atomics.notify(c, SEQ);
  }

  /**
   * Takes the posted records back when the worker has not started on them (not scheduled
   * yet, on a busy machine): the caller then runs them itself instead of waiting.
   */
  takeBack(): boolean {
    return Atomics.compareExchange(this.ctl, CLAIM, POSTED, TAKEN_BY_CALLER) === POSTED;
  }

  /** The records posted last (for the caller to run after takeBack). */
  posted(): CallList {
    const list = new CallList();
    const count = this.ctl[COUNT]!;
    list.ints = this.ctl.slice(REC, REC + count * REC_INTS);
    list.count = count;
    return list;
  }

  /** Whether the posted job is over (done, or the worker stopped). */
  settled(): boolean {
    return Atomics.load(this.ctl, DONE) === this.seq || Atomics.load(this.ctl, DEAD) !== 0;
  }

  /** Waits for the posted job; throws the worker's error, or after WAIT_LIMIT_MS. */
  wait(index: number): void {
    const c = this.ctl;
    const start = Date.now();
    for (;;) {
      const done = Atomics.load(c, DONE);
      if (done === this.seq) break;
      if (Atomics.load(c, DEAD)) throw new Error(`heap pool: worker ${index} stopped: ${this.message()}`);
      if (Date.now() - start > WAIT_LIMIT_MS) throw new Error(`heap pool: worker ${index} did not answer within ${WAIT_LIMIT_MS / 1000} s`);
      Atomics.wait(c, DONE, done, 1000);
    }
    if (c[STATUS] !== 0) throw new Error(`heap pool: a kernel failed in worker ${index}: ${this.message()}`);
  }

  message(): string {
    const c = this.ctl;
    return String.fromCharCode(...c.subarray(MSG, MSG + Math.min(MSG_MAX, c[MSG_LEN]!)));
  }

  stop(): void {
    Atomics.store(this.ctl, SEQ, -1);
    Atomics.notify(this.ctl, SEQ);
    void this.worker.terminate();
  }
}

let unitsTakenOver = 0;
let unitsTakenByWorkers = 0;

/**
 * Writes records [from, from + count) into a control block with their units (`list`'s, when
 * they are all of it; else one unit), unclaimed: (next 0, end units).
 */
function publish(c: Int32Array, records: Int32Array, from: number, count: number, list: CallList | null): void {
  c.set(records.subarray(from * REC_INTS, (from + count) * REC_INTS), REC);
  const units = list && from === 0 && count === list.count ? list.unitCount : 1;
  if (units > 1) c.set(list!.units.subarray(0, units), UNITS);
  else c[UNITS] = 0;
  c[UNITS + units] = count;
  Atomics.store(c, RANGE, units);
}

/** Units of workers' parts the calling thread has run (for tests and benchmarks). */
export function unitsTakenOverByCaller(): number {
  return unitsTakenOver;
}

/** `into` = the lists' records and units, one list after the other (into is cleared first). */
function concatLists(into: CallList, ...lists: CallList[]): CallList {
  into.clear();
  for (const l of lists) {
    for (let u = 0; u < l.unitCount; u++) {
      const from = l.units[u]!;
      const to = u + 1 < l.unitCount ? l.units[u + 1]! : l.count;
      into.appendUnit(l.ints, from, to);
    }
  }
  return into;
}

/** Units of the calling thread's parts that workers have run (for tests and benchmarks). */
export function unitsTakenOverByWorkers(): number {
  return unitsTakenByWorkers;
}

/** Worker threads over one shared heap, with the kernel modules registered on it. */
export class HeapPool {
  private readonly workers: PoolWorker[] = [];
  /** Functions by id, instantiated on the calling thread. */
  private readonly fns: KernelFn[] = [];
  private readonly modules: { module: object; names: string[] }[] = [];
  private readonly ids = new Map<string, number>();
  private broken: Error | null = null;
  /** The calling thread's own part, published for workers done with theirs to take units from. */
  private readonly mainCtl = new Int32Array(new SharedArrayBuffer(4 * (UNITS + CAPACITY + 1)));
  /** Jobs left to worker 0 (runDetached), oldest first. */
  private detached: DetachedJob[] = [];
  /** The own part and worker 0's, run here together while worker 0 is on a detached job. */
  private readonly combined = new CallList();
  /** Lists of finished detached jobs, for the next ones (a list's arrays cost a few microseconds to make). */
  private readonly spareJobLists: CallList[] = [];

  constructor(private readonly memory: SharedWasmMemory) {
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error('heap pool: the heap is not a shared WebAssembly.Memory');
    poolsToStop.add(this);
  }

  /**
   * The id of export `name` of the module `bytes` (a module imports env.memory shared),
   * registering the module on first use; `key` names the module.
   */
  fn(key: string, bytes: () => Uint8Array, name: string): number {
    const id = this.ids.get(`${key}:${name}`);
    if (id !== undefined) return id;
    const module = new WebAssembly.Module(bytes());
    const exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports;
    const names = Object.keys(exports).filter((n) => typeof exports[n] === 'function');
    this.modules.push({ module, names });
    for (const n of names) {
      this.ids.set(`${key}:${n}`, this.fns.length);
      this.fns.push(exports[n] as KernelFn);
    }
    const got = this.ids.get(`${key}:${name}`);
    if (got === undefined) throw new Error(`heap pool: module '${key}' has no function '${name}'`);
    return got;
  }

  /**
   * Leaves `list` to worker 0 and returns at once: the caller goes on (JavaScript, other
   * kernels) while the worker runs it. Such jobs queue up (at most DETACHED_MAX): the worker
   * takes the next one whenever a later call finds it done with the last; meanwhile run()
   * runs worker 0's parts on the calling thread, published so that the worker, once free,
   * can take their last units. flushDetached() finishes them all: the calling thread runs
   * queued jobs (newest first) while the worker runs its own, then their onDone callbacks
   * run in the order the jobs came, on the calling thread. False (nothing queued) when the
   * pool cannot take the list.
   */
  runDetached(list: CallList, onDone: () => void): boolean {
    if (this.broken) throw this.broken;
    if (list.count === 0 || list.count > CAPACITY) return false;
    if (this.detached.length >= DETACHED_MAX) this.flushDetached();
    this.detached.push({ list: concatLists(this.spareJobLists.pop() ?? new CallList(), list), posted: false, done: false, onDone });
    poolsWithDetachedJobs.add(this);
    this.feedWorker();
    return true;
  }

  /** Posts the oldest queued job to worker 0 when it is free (completing what it finished). */
  private feedWorker(): void {
    const jobs = this.detached;
    const onWorker = jobs.find((j) => j.posted && !j.done);
    if (onWorker) {
      if (!this.workers[0]!.settled()) return;
      this.waitWorkerJob(onWorker);
      // the jobs done so far, in the order they came, hand their results over now
      while (jobs.length > 0 && jobs[0]!.done) this.finishJob(jobs.shift()!);
      if (jobs.length === 0) poolsWithDetachedJobs.delete(this);
    }
    const next = jobs.find((j) => !j.posted);
    if (!next) return;
    this.ensureWorker(0);
    this.workers[0]!.post(next.list.ints, 0, next.list.count, this.fns.length, next.list);
    next.posted = true;
  }

  /** Runs a finished job's onDone; its list serves a later job. */
  private finishJob(job: DetachedJob): void {
    if (this.spareJobLists.length < DETACHED_MAX) this.spareJobLists.push(job.list);
    job.onDone();
  }

  /** Waits for the job on worker 0 (taking over its last units). */
  private waitWorkerJob(job: DetachedJob): void {
    const w = this.workers[0]!;
    try {
      if (w.takeBack()) this.runTakenBack(w.posted(), 1);
      else {
        unitsTakenOver += this.runUnits(w.ctl, true);
        w.wait(0);
      }
    } catch (e) {
      this.broken = e as Error;
      this.stop();
      throw e;
    }
    job.done = true;
  }

  /** Finishes every detached job (see runDetached) and runs their onDone, in order. */
  flushDetached(): void {
    const jobs = this.detached;
    if (jobs.length === 0) return;
    try {
      for (;;) {
        this.feedWorker();
        // the newest job nobody has taken runs here while the worker is on its own
        const mine = [...jobs].reverse().find((j) => !j.posted);
        if (!mine) break;
        mine.posted = true;
        this.runTakenBack(mine.list, 1);
        mine.done = true;
      }
      const onWorker = jobs.find((j) => j.posted && !j.done);
      if (onWorker) this.waitWorkerJob(onWorker);
    } finally {
      // every job is done (or the pool is broken): their results go out in the order they came
      this.detached = [];
      poolsWithDetachedJobs.delete(this);
    }
    if (this.broken) throw this.broken;
    for (const j of jobs) this.finishJob(j);
  }

  /** Runs parts[0] here and parts[i] on worker i - 1, all at once; returns when all are done. */
  run(parts: readonly CallList[]): void {
    if (this.broken) throw this.broken;
    // worker 0 on a detached job: its part runs here (after the own part)
    if (this.detached.length > 0) this.feedWorker();
    const workerBusy = this.detached.some((j) => j.posted && !j.done);
    const skipped = workerBusy && parts.length > 1 && parts[1]!.count > 0 ? parts[1]! : null;
    const busy: number[] = [];
    for (let w = skipped ? 2 : 1; w < parts.length; w++) if (parts[w]!.count > 0) busy.push(w);
    for (const w of busy) this.ensureWorker(w - 1);
    const sent = new Map<number, number>(busy.map((w) => [w, 0]));
    const round = () => {
      const posted: number[] = [];
      for (const w of busy) {
        const part = parts[w]!;
        const from = sent.get(w)!;
        if (from >= part.count) continue;
        const count = Math.min(CAPACITY, part.count - from);
        // units can be stolen when the part goes in one round
        this.workers[w - 1]!.post(part.ints, from, count, this.fns.length, from === 0 && count === part.count ? part : null);
        sent.set(w, from + count);
        posted.push(w);
      }
      return posted;
    };
    // the own part (with worker 0's, while it is on a detached job) goes where idle workers
    // can take its last units (before any job is posted)
    const own = skipped ? concatLists(this.combined, parts[0]!, skipped) : parts[0]!;
    const shareOwn = (busy.length > 0 || workerBusy) && own.count > 0 && own.count <= CAPACITY;
    if (shareOwn) {
      Atomics.add(this.mainCtl, PUBLISHED, 1);
      publish(this.mainCtl, own.ints, 0, own.count, own);
    }
    else Atomics.store(this.mainCtl, RANGE, 0);
    let posted = round();
    let local: unknown = null;
    try {
      if (shareOwn) unitsTakenByWorkers += own.unitCount - this.runUnits(this.mainCtl, false);
      else this.runHere(own);
    } catch (e) {
      local = e;
    }
    try {
      while (posted.length) {
        for (const w of posted) {
          const worker = this.workers[w - 1]!;
          if (worker.takeBack()) this.runTakenBack(worker.posted(), w);
          else {
            // the worker is on its part: take its last units while it works on the first
            try {
              unitsTakenOver += this.runUnits(worker.ctl, true);
            } catch (e) {
              local ??= new Error(`heap pool: a kernel failed in part ${w} (a unit taken over by the calling thread): ${String(e)}`);
            }
            worker.wait(w - 1);
          }
        }
        posted = round();
      }
      // units of the own part a worker took (one on a detached job, too) are done
      if (shareOwn) this.waitInFlight();
    } catch (e) {
      // a worker that fails cannot be trusted with the next call
      this.broken = e as Error;
      this.stop();
      throw e;
    }
    if (local) throw local;
  }

  /** Waits until no worker runs a unit taken from the caller's published part. */
  private waitInFlight(): void {
    const start = Date.now();
    for (;;) {
      const n = Atomics.load(this.mainCtl, IN_FLIGHT);
      if (n === 0) return;
      if (this.workers.some((w) => Atomics.load(w.ctl, DEAD))) throw new Error('heap pool: a worker stopped while running a unit of the calling thread');
      if (Date.now() - start > WAIT_LIMIT_MS) throw new Error(`heap pool: a worker did not finish a unit within ${WAIT_LIMIT_MS / 1000} s`);
      Atomics.wait(this.mainCtl, IN_FLIGHT, n, 100);
    }
  }

  private runTakenBack(part: CallList, index: number): void {
    try {
      this.runHere(part);
    } catch (e) {
      throw new Error(`heap pool: a kernel failed in part ${index} (taken back by the calling thread): ${String(e)}`);
    }
  }

  private runHere(part: CallList): void {
    this.runRecords(part.ints, 0, 0, part.count);
  }

  /**
   * Claims and runs units of the records published in `ctl` (from the front, or from the back
   * when taking over another thread's part) until none is left; returns how many it ran.
   */
  private runUnits(ctl: Int32Array, fromBack: boolean): number {
    let ran = 0;
    for (;;) {
      const v = Atomics.load(ctl, RANGE);
      const next = v >>> 16;
      const end = v & 0xffff;
      if (next >= end) return ran;
      if (Atomics.compareExchange(ctl, RANGE, v, fromBack ? (next << 16) | (end - 1) : ((next + 1) << 16) | end) !== v) continue;
      const u = fromBack ? end - 1 : next;
      this.runRecords(ctl, REC, ctl[UNITS + u]!, ctl[UNITS + u + 1]!);
      ran++;
    }
  }

  /** Runs records [from, to) of the array `r` whose record 0 starts at `base`. */
  private runRecords(r: Int32Array, base: number, from: number, to: number): void {
    const fns = this.fns;
    for (let i = from, p = base + from * REC_INTS; i < to; i++, p += REC_INTS) {
      fns[r[p]!]!(r[p + 1]!, r[p + 2]!, r[p + 3]!, r[p + 4]!, r[p + 5]!, r[p + 6]!, r[p + 7]!, r[p + 8]!,
        r[p + 9]!, r[p + 10]!, r[p + 11]!, r[p + 12]!, r[p + 13]!, r[p + 14]!, r[p + 15]!, r[p + 16]!);
    }
  }

  private ensureWorker(i: number): void {
    while (this.workers.length <= i) this.workers.push(new PoolWorker(this.memory, this.mainCtl));
    const w = this.workers[i]!;
    // modules registered since this worker last heard: send them before the job
    for (let m = w.sentModules; m < this.modules.length; m++) w.port.postMessage(this.modules[m]);
    w.sentModules = this.modules.length;
  }

  /** Workers started so far. */
  get workerCount(): number {
    return this.workers.length;
  }

  /** Stops every worker (the pool refuses further calls). */
  stop(): void {
    for (const w of this.workers) w.stop();
    this.workers.length = 0;
    this.broken ??= new Error('heap pool: stopped');
    this.detached.length = 0;
    poolsToStop.delete(this);
    poolsWithDetachedJobs.delete(this);
  }
}

/** A job of runDetached: its calls, whether a thread took it, whether it is done, its callback. */
interface DetachedJob {
  list: CallList;
  posted: boolean;
  done: boolean;
  onDone: () => void;
}

/** Detached jobs one pool holds at most (each keeps its inputs and scratch until flushed). */
const DETACHED_MAX = 16;

const poolsToStop = new Set<HeapPool>();
const poolsWithDetachedJobs = new Set<HeapPool>();

/** Finishes every pool's detached job (see HeapPool.runDetached): their results are then in place. */
export function flushDetachedJobs(): void {
  for (const p of [...poolsWithDetachedJobs]) p.flushDetached();
}
if (typeof process !== 'undefined' && typeof process.on === 'function') {
  process.on('exit', () => {
    for (const p of [...poolsToStop]) p.stop();
  });
}
