// What a person watching sees. `lines`: train.lua's own lines, one per batch (what
// fb.resnet.torch prints, for logs and pipes). `bar`: on a terminal, one cli-progress bar
// per epoch (batch i/N, images/s, loss, top-1, ETA) and train.lua's summary lines between.

import { SingleBar } from 'cli-progress';
import type { BatchFigures, EpochFigures, TrainReporter } from './trainer.js';

/**
 * C's printf("%.<p>f"): like toFixed, except that an exact tie rounds to even (glibc), where
 * toFixed rounds up (3.0625 -> "3.062" in C, "3.063" in JS).
 */
export function cFixed(x: number, p: number): string {
  const s = x.toFixed(p);
  const exact = Math.abs(x).toFixed(Math.min(100, p + 60));
  const rest = exact.slice(exact.indexOf('.') + 1 + p);
  if (!/^50*$/.test(rest)) return s;
  const lastDigit = Number(s[s.length - 1]);
  if (lastDigit % 2 === 0) return s;
  // toFixed went up to an odd digit: C goes down instead
  return (Math.sign(x) * (Math.abs(x) - 0.5 * 10 ** -p)).toFixed(p);
}

const f = (x: number, w: number, p: number) => cFixed(x, p).padStart(w);

/** train.lua's per-batch lines, exactly. */
export function batchLine(b: BatchFigures): string {
  if (b.phase === 'train') {
    return ` | Epoch: [${b.epoch}][${b.n}/${b.of}]    Time ${cFixed(b.time, 3)}  Data ${cFixed(b.dataTime, 3)}  Err ${cFixed(b.loss, 4)}  top1 ${f(b.top1, 7, 3)}  top5 ${f(b.top5, 7, 3)}`;
  }
  return ` | Test: [${b.epoch}][${b.n}/${b.of}]    Time ${cFixed(b.time, 3)}  Data ${cFixed(b.dataTime, 3)}  top1 ${f(b.top1, 7, 3)} (${f(b.top1Mean, 7, 3)})  top5 ${f(b.top5, 7, 3)} (${f(b.top5Mean, 7, 3)})`;
}

/** train.lua's end-of-test line (print adds a second newline). */
export function testSummaryLine(epoch: number, r: EpochFigures): string {
  return ` * Finished epoch # ${epoch}     top1: ${f(r.top1, 7, 3)}  top5: ${f(r.top5, 7, 3)}\n`;
}

/** Reports as train.lua does: one line per batch and per epoch. */
export class LinesReporter implements TrainReporter {
  /** @param write where the text goes (default: standard output). */
  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  /** Prints a line. */
  print(text: string): void {
    this.write(`${text}\n`);
  }

  /** Nothing: the batch lines say it. */
  epochStart(): void {}

  /** Prints train.lua's batch line. */
  batch(b: BatchFigures): void {
    this.print(batchLine(b));
  }

  /** Prints the epoch's summary line. */
  epochEnd(phase: 'train' | 'test', epoch: number, r: EpochFigures): void {
    if (phase === 'test') this.print(testSummaryLine(epoch, r));
  }
}

/** Reports on a terminal: a progress bar per epoch, then train.lua's summary line. */
export class BarReporter implements TrainReporter {
  private bar: SingleBar | null = null;
  private images = 0;
  private seconds = 0;

  /** Prints a line (above the bar). */
  print(text: string): void {
    if (this.bar) this.bar.stop();
    this.bar = null;
    process.stdout.write(`${text}\n`);
  }

  /** Starts the epoch's bar. */
  epochStart(phase: 'train' | 'test', epoch: number, batches: number): void {
    this.images = 0;
    this.seconds = 0;
    this.bar = new SingleBar({
      format: `${phase === 'train' ? 'Epoch' : 'Test '} ${epoch} [{bar}] {value}/{total} | {speed} img/s | loss {loss} | top1 {top1} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    });
    this.bar.start(batches, 0, { speed: '-', loss: '-', top1: '-' });
  }

  /** Moves the bar. */
  batch(b: BatchFigures): void {
    this.images += b.images;
    this.seconds += b.time;
    this.bar?.update(b.n, {
      speed: this.seconds > 0 ? (this.images / this.seconds).toFixed(1) : '-',
      loss: b.lossMean.toFixed(4),
      top1: b.top1Mean.toFixed(3),
    });
  }

  /** Closes the bar and prints the summary line. */
  epochEnd(phase: 'train' | 'test', epoch: number, r: EpochFigures): void {
    this.bar?.stop();
    this.bar = null;
    const rate = r.seconds > 0 ? (r.images / r.seconds).toFixed(1) : '-';
    if (phase === 'train') {
      process.stdout.write(` * Trained epoch # ${epoch}     top1: ${f(r.top1, 7, 3)}  top5: ${f(r.top5, 7, 3)}  loss: ${r.loss.toFixed(4)}  (${rate} images/s)\n`);
    } else {
      process.stdout.write(testSummaryLine(epoch, r) + '\n');
    }
  }
}

/** -progress auto: a bar on a terminal, train.lua's lines otherwise. */
export function createReporter(mode: 'auto' | 'bar' | 'lines'): TrainReporter {
  const bar = mode === 'bar' || (mode === 'auto' && process.stdout.isTTY === true);
  return bar ? new BarReporter() : new LinesReporter();
}
