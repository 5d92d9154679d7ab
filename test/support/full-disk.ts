// Real full disks for tests: a small tmpfs (needs root: `mount -t tmpfs`) that fills up with
// ENOSPC, and `ulimit -f` in the child's shell, which makes the kernel refuse writes beyond
// the limit with EFBIG (works as any user). Both are the kernel's own refusals, not mocks.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  dir: string;
  remove(): void;
}

/** A tmpfs of `sizeKb` mounted on a fresh folder, or undefined when this user cannot mount. */
export function mountSmallTmpfs(sizeKb: number): SmallDisk | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-tmpfs-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'ignore' });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    remove() {
      spawnSync('umount', [dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Arguments that run `node <args>` in a shell whose file-size limit is `kb` KB (EFBIG beyond it). */
export function withFileSizeLimit(kb: number, node: string, args: string[]): string[] {
  const quoted = [node, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return ['-c', `ulimit -f ${kb} && exec ${quoted}`];
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
