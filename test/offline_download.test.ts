// The -gen scripts' downloads (curl URL | tar xz -C gen/) never reach the network: files in
// place -> success without doing anything; the archive in place -> unpacked locally;
// nothing -> a failure that says which file to put where.

import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { offlineDownload, parseDownload } from '../src/datasets/offline_download.js';

const CIFAR10 = "curl http://torch7.s3-website-us-east-1.amazonaws.com/data/cifar-10-torch.tar.gz | tar xz -C gen/";
const CIFAR100 = 'curl http://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz | tar xz -C  gen/';
const FILES10 = ['data_batch_1.t7', 'data_batch_2.t7', 'data_batch_3.t7', 'data_batch_4.t7', 'data_batch_5.t7', 'test_batch.t7'];

function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mpelu-gen-'));
  mkdirSync(join(dir, 'gen'));
  return dir;
}

describe('offline dataset downloads', () => {
  it('recognises the commands of cifar10-gen.lua and cifar100-gen.lua, and nothing else', () => {
    expect(parseDownload(CIFAR10)).toEqual({ url: 'http://torch7.s3-website-us-east-1.amazonaws.com/data/cifar-10-torch.tar.gz', dest: 'gen/' });
    expect(parseDownload(CIFAR100)?.dest).toBe('gen/');
    expect(offlineDownload('ls -l', '/tmp')).toBeNull();
    expect(offlineDownload('curl http://example.invalid/other.tar.gz | tar xz -C gen/', '/tmp')).toBeNull();
  });

  it('without the files: fails, naming the archive, where to put it, and the unpacked alternative', () => {
    const dir = fresh();
    const r = offlineDownload(CIFAR10, dir, {})!;
    expect(r.status).not.toBe(0);
    expect(r.message).toContain(`Put cifar-10-torch.tar.gz (downloaded elsewhere from http://torch7.s3-website-us-east-1.amazonaws.com/data/cifar-10-torch.tar.gz) at ${join(dir, 'gen', 'cifar-10-torch.tar.gz')}`);
    expect(r.message).toContain(join(dir, 'gen', 'cifar-10-batches-t7', 'data_batch_1.t7'));
    const r100 = offlineDownload(CIFAR100, dir, {})!;
    expect(r100.message).toContain(join(dir, 'gen', 'cifar-100-binary', 'train.bin'));
  });

  it('with the unpacked files in place: succeeds and touches nothing', () => {
    const dir = fresh();
    mkdirSync(join(dir, 'gen', 'cifar-10-batches-t7'));
    for (const f of FILES10) writeFileSync(join(dir, 'gen', 'cifar-10-batches-t7', f), 'x');
    const r = offlineDownload(CIFAR10, dir, {})!;
    expect(r.status).toBe(0);
    expect(r.message).toMatch(/already in .*not downloading/);
  });

  it('with the archive in place: unpacks it with the local tar', () => {
    const dir = fresh();
    const src = join(dir, 'src', 'cifar-10-batches-t7');
    mkdirSync(src, { recursive: true });
    for (const f of FILES10) writeFileSync(join(src, f), f);
    const tar = spawnSync('tar', ['czf', join(dir, 'gen', 'cifar-10-torch.tar.gz'), '-C', join(dir, 'src'), 'cifar-10-batches-t7']);
    expect(tar.status).toBe(0);
    const r = offlineDownload(CIFAR10, dir, {})!;
    expect(r.message).toMatch(/unpacked .* \(no download\)/);
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, 'gen', 'cifar-10-batches-t7', 'test_batch.t7'))).toBe(true);
  });
});
