// Starting the compute backend from the command line. Only commands that compute call
// startBackend (from their action): the others never load a tfjs backend, which keeps
// --help, --version, inspect and convert fast.

import type { Command } from 'commander';
import type { BackendInfo } from '../backend/select.js';
import { BACKEND_NAMES } from '../backend/names.js';
import { UsageError } from './errors.js';

/** The backend asked for and where the request came from (for error messages). */
export interface BackendRequestSource {
  name: string;
  from: '--backend' | 'MPELU_BACKEND' | 'default';
}

/** The --backend flag of `cmd` or its parents, else $MPELU_BACKEND, else auto. */
export function backendRequest(cmd: Command): BackendRequestSource {
  const flag = cmd.optsWithGlobals<{ backend?: string }>().backend;
  if (flag !== undefined) return { name: flag, from: '--backend' };
  const env = process.env.MPELU_BACKEND;
  if (env !== undefined && env !== '') return { name: env, from: 'MPELU_BACKEND' };
  return { name: 'auto', from: 'default' };
}

/** Throws a UsageError naming the flag or variable when the name is not a backend. */
export function checkBackendName(req: BackendRequestSource): void {
  if (!BACKEND_NAMES.includes(req.name.trim().toLowerCase() as (typeof BACKEND_NAMES)[number])) {
    throw new UsageError(`unknown backend '${req.name}' (from ${req.from}); expected one of ${BACKEND_NAMES.join(', ')}`);
  }
}

/** Loads tfjs and starts the requested backend; for the actions of commands that compute. */
export async function startBackend(cmd: Command): Promise<BackendInfo> {
  const req = backendRequest(cmd);
  checkBackendName(req);
  const { initBackendInfo } = await import('../backend/select.js');
  try {
    return await initBackendInfo(req.name);
  } catch (e) {
    throw new Error(req.from === 'default' ? (e as Error).message : `${(e as Error).message} (requested by ${req.from})`);
  }
}
