// What every benchmark returns, statistics helpers, and the markdown/summary
// rendering shared by bench/run.ts and the stand-alone entry points.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { installCleanup, killAll } from './procs';

export type Verdict = 'PASS' | 'FAIL' | 'INFO' | 'N/A';

export interface Row {
  metric: string;
  value: string;
  target?: string;
  verdict?: Verdict;
}

export interface BenchResult {
  name: string;
  title: string;
  /** How it was measured (markdown paragraphs / bullets). */
  method: string[];
  rows: Row[];
  /** Extra tables (e.g. per-run figures). */
  tables?: { caption: string; header: string[]; rows: string[][] }[];
  /** Observations, misses and their reasons. */
  notes: string[];
  verdict: Verdict;
  seconds: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export const ms = (x: number, digits = 1) => `${x.toFixed(digits)} ms`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const int = (n: number) => n.toLocaleString('en-US');

export function overall(rows: Row[]): Verdict {
  const v = rows.map((r) => r.verdict).filter((x): x is Verdict => !!x && x !== 'INFO');
  if (v.includes('FAIL')) return 'FAIL';
  if (v.includes('PASS')) return 'PASS';
  return v.includes('N/A') ? 'N/A' : 'INFO';
}

export function machine(): { nproc: string; node: string; cpu: string; memory: string; os: string } {
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch { /* keep os.cpus() */ }
  let os = `${process.platform} ${process.arch}`;
  try {
    os = `${execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()} ${process.arch}`;
  } catch { /* keep */ }
  return { nproc, node: process.version, cpu: cpus()[0]?.model ?? 'unknown', memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`, os };
}

const esc = (s: string) => s.replace(/\|/g, '\\|');

export function renderMarkdown(r: BenchResult): string {
  const out: string[] = [`## ${r.title} — ${r.verdict}`, ''];
  out.push('| Metric | Measured | Target | Result |', '|---|---|---|---|');
  for (const row of r.rows) out.push(`| ${esc(row.metric)} | ${esc(row.value)} | ${esc(row.target ?? '')} | ${row.verdict ?? ''} |`);
  out.push('');
  for (const t of r.tables ?? []) {
    out.push(`${t.caption}`, '', `| ${t.header.map(esc).join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`);
    for (const row of t.rows) out.push(`| ${row.map(esc).join(' | ')} |`);
    out.push('');
  }
  if (r.method.length) out.push('How it is measured:', '', ...r.method.map((m) => `- ${m}`), '');
  if (r.notes.length) out.push('Notes:', '', ...r.notes.map((m) => `- ${m}`), '');
  out.push(`Run alone: \`npx tsx bench/${r.name}.ts\` (took ${r.seconds.toFixed(1)} s here).`, '');
  return out.join('\n');
}

export function renderSummary(r: BenchResult): string {
  const lines = [`${r.verdict.padEnd(4)} ${r.name} (${r.seconds.toFixed(1)} s)`];
  for (const row of r.rows) lines.push(`     ${row.metric}: ${row.value}${row.target ? `  [target ${row.target}: ${row.verdict}]` : ''}`);
  return lines.join('\n');
}

/** Times a benchmark body and fills in `seconds` and `verdict`. */
export async function timed(fn: () => Promise<Omit<BenchResult, 'seconds' | 'verdict'>>): Promise<BenchResult> {
  const t0 = performance.now();
  const r = await fn();
  return { ...r, verdict: overall(r.rows), seconds: (performance.now() - t0) / 1000 };
}

/** `tsx bench/<name>.ts`: run that one benchmark, print its table, kill the children. */
export function runIfMain(metaUrl: string, run: () => Promise<BenchResult>): void {
  if (!process.argv[1] || pathToFileURL(process.argv[1]).href !== metaUrl) return;
  installCleanup();
  exitAfter(run().then((r) => console.log(renderMarkdown(r))));
}

/** Ends a benchmark process: children killed; a missed target is a result, not a crash (exit 0; 2 on errors). */
export function exitAfter(work: Promise<unknown>): void {
  work.then(
    () => {
      killAll();
      process.exit(0);
    },
    (e) => {
      console.error(e);
      killAll();
      process.exit(2);
    },
  );
}
