// One loader thread (worker_threads): a BatchMaker over the shared image bytes, answering
// jobs in the order they come, and reporting or restoring its generator's state.

import { parentPort, workerData } from 'node:worker_threads';
import { BatchMaker, type BatchMakerOptions } from './batch_maker.js';

export type WorkerRequest =
  | { kind: 'job'; id: number; indices: Int32Array }
  | { kind: 'getState'; id: number }
  | { kind: 'setState'; id: number; state: Uint8Array };

export type WorkerReply =
  | { kind: 'batch'; id: number; input: Float32Array; target: Int32Array; size: number; nCrops: number }
  | { kind: 'state'; id: number; state: Uint8Array }
  | { kind: 'done'; id: number }
  | { kind: 'error'; id: number; message: string };

export interface WorkerInit {
  data: Uint8Array;
  labels: Uint8Array;
  options: BatchMakerOptions;
}

const init = workerData as WorkerInit;
const maker = new BatchMaker(init.data, init.labels, init.options);
const port = parentPort!;

port.on('message', (req: WorkerRequest) => {
  try {
    if (req.kind === 'job') {
      const b = maker.make(req.indices);
      const reply: WorkerReply = { kind: 'batch', id: req.id, ...b };
      port.postMessage(reply, [b.input.buffer as ArrayBuffer, b.target.buffer as ArrayBuffer]);
    } else if (req.kind === 'getState') {
      port.postMessage({ kind: 'state', id: req.id, state: maker.generator.getState() } satisfies WorkerReply);
    } else {
      maker.generator.setState(req.state);
      port.postMessage({ kind: 'done', id: req.id } satisfies WorkerReply);
    }
  } catch (e) {
    port.postMessage({ kind: 'error', id: req.id, message: (e as Error).message } satisfies WorkerReply);
  }
});
