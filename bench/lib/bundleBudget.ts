// Size targets of the function bundles (issue 9, deliverable 7), read by
// bench/startup.ts (the report) and test/integration/bundles.test.ts (the
// assertion). A pure function (no ports: decode, select) needs no
// OpenNebula client or fence runner in its bundle; an effectful one does.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { functions } from '../../functions/registry';

export const KIB = 1024;
export const TARGET_BYTES = { pure: 100 * KIB, effectful: 200 * KIB } as const;

/**
 * A bundle not at its target yet may be given a ceiling here (by name, or
 * `effectful` for all of those): the most it may weigh until it gets there,
 * so a regression still fails at once. Every bundle is at its target today.
 */
export const CEILING_BYTES: Partial<Record<string, number>> = {};

export interface BundleSize { name: string; kind: 'pure' | 'effectful'; bytes: number; target: number; ceiling: number }

export function bundleSizes(root: string): BundleSize[] {
  return Object.entries(functions).map(([name, fn]) => {
    const file = join(root, 'dist', 'functions', `${name}.mjs`);
    if (!existsSync(file)) throw new Error(`${file} is missing: run node build.mjs`);
    const kind = fn.ports.length === 0 ? 'pure' as const : 'effectful' as const;
    const target = TARGET_BYTES[kind];
    return { name, kind, bytes: statSync(file).size, target, ceiling: CEILING_BYTES[name] ?? (kind === 'effectful' ? CEILING_BYTES.effectful : undefined) ?? target };
  });
}
