// fb.resnet.torch's datasets/cifar10-gen.lua and cifar100-gen.lua download their data with
// os.execute('curl URL | tar xz -C gen/'). mpelu never reaches the network for them: when
// the unpacked files are already in place the command succeeds without doing anything;
// when the archive itself is there, it is unpacked with the local tar; otherwise the
// command fails after saying which file to put where (the script's own assert then
// stops it). MPELU_ALLOW_DOWNLOAD=1 lets the original command run instead.

import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

interface KnownArchive {
  /** The archive's file name (the last part of the URL). */
  archive: string;
  /** The folder the archive unpacks to, and the files the -gen script then reads from it. */
  folder: string;
  files: string[];
}

const KNOWN: KnownArchive[] = [
  {
    archive: 'cifar-10-torch.tar.gz',
    folder: 'cifar-10-batches-t7',
    files: ['data_batch_1.t7', 'data_batch_2.t7', 'data_batch_3.t7', 'data_batch_4.t7', 'data_batch_5.t7', 'test_batch.t7'],
  },
  { archive: 'cifar-100-binary.tar.gz', folder: 'cifar-100-binary', files: ['train.bin', 'test.bin'] },
];

export interface DownloadOutcome {
  /** The exit status os.execute reports (0 = success). */
  status: number;
  /** What was done, or what the user must do (printed on stderr by the caller). */
  message: string;
}

/** `curl|wget ... URL | tar x...z -C DIR`: the URL and the destination folder, or null. */
export function parseDownload(cmd: string): { url: string; dest: string } | null {
  const m = /^\s*(?:curl|wget)\b[^|]*?\b(https?:\/\/\S+)[^|]*\|\s*tar\s+-?x\w*\s+-C\s+(\S+)\s*$/.exec(cmd);
  if (!m) return null;
  return { url: m[1]!, dest: m[2]! };
}

/**
 * The outcome of a download command a -gen script runs, or null when cmd is not one
 * of the known dataset downloads (the caller runs it as usual).
 */
export function offlineDownload(cmd: string, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): DownloadOutcome | null {
  const parsed = parseDownload(cmd);
  if (!parsed) return null;
  const known = KNOWN.find((k) => parsed.url.endsWith('/' + k.archive));
  if (!known) return null;
  const dest = resolve(cwd, parsed.dest);
  const folder = join(dest, known.folder);
  const missing = known.files.filter((f) => !existsSync(join(folder, f)));
  if (missing.length === 0) return { status: 0, message: `mpelu: ${known.folder}/ is already in ${dest}; not downloading ${parsed.url}` };
  if (env.MPELU_ALLOW_DOWNLOAD === '1') return null;
  for (const archive of [join(dest, known.archive), join(cwd, known.archive)]) {
    if (!existsSync(archive)) continue;
    const r = spawnSync('tar', ['xzf', archive, '-C', dest], { encoding: 'utf8' });
    if (r.status !== 0) return { status: 256 * (r.status ?? 1), message: `mpelu: could not unpack ${archive} into ${dest}: ${(r.stderr || r.error?.message || '').trim()}` };
    const still = known.files.filter((f) => !existsSync(join(folder, f)));
    if (still.length === 0) return { status: 0, message: `mpelu: unpacked ${archive} into ${dest} (no download)` };
    return { status: 256, message: `mpelu: ${archive} did not contain ${known.folder}/${still.join(', ')}` };
  }
  return {
    status: 256,
    message:
      `mpelu: no network access for '${cmd.trim()}'.\n` +
      `  Put ${known.archive} (downloaded elsewhere from ${parsed.url}) at ${join(dest, known.archive)},\n` +
      `  or unpack it so that ${join(folder, known.files[0]!)} (and ${known.files.slice(1).join(', ')}) exist, then run again.\n` +
      `  (MPELU_ALLOW_DOWNLOAD=1 runs the original command instead.)`,
  };
}
