// journal-start: how long the runner takes to reach "listening", and its
// peak memory, when its journal holds 100,000 finished recoveries and 10,000
// rejected payloads (the log as a runner that never compacted would leave it,
// about 8 events per recovery), then again on the compacted log it wrote.
import { closeSync, createWriteStream, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEvent } from '../runner/journal/events';
import { procCpuMs, procMemory, requireBuild, startRunner, startSim, tempDir } from './lib/procs';
import { mib, ms, runIfMain, timed, type BenchResult, type Row } from './lib/report';

const FINISHED = 100_000;
const REJECTED = 10_000;
const REJECTED_PAYLOAD_BYTES = 10 * 1024;
const TARGET_MS = 2000;
const TARGET_BYTES = 150_000_000;

/** Writes the log as the runner's journal would hold it, event by event. */
async function writeJournal(dataDir: string): Promise<number> {
  mkdirSync(join(dataDir, 'journal'), { recursive: true });
  const file = join(dataDir, 'journal', 'journal.jsonl');
  const out = createWriteStream(file);
  const put = (e: JournalEvent) => (out.write(JSON.stringify(e) + '\n') ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  const payload = `${Buffer.alloc(3000, 'PEhPU1Q+').toString('ascii')} -m -p 2`;
  let at = Date.UTC(2026, 0, 1);
  for (let i = 0; i < FINISHED; i++) {
    const id = `r${i.toString(36)}-bench`;
    const hostId = i % 500;
    at += 10;
    await put({ id, at, type: 'received', payload, trigger: 'hook' });
    await put({ id, at, type: 'host', hostId, hostName: `node-${hostId}` });
    await put({ id, at, type: 'status', status: 'running' });
    await put({ id, at, type: 'step-started', step: 'wait', input: { hostId, pause: 2 } });
    await put({ id, at: at + 1, type: 'step-finished', step: 'wait', output: { result: 'came-back', waitedMs: 1, checks: 1 } });
    await put({ id, at: at + 2, type: 'status', status: 'came-back', reason: 'the host came back during the wait' });
  }
  const junk = 'x'.repeat(REJECTED_PAYLOAD_BYTES);
  for (let i = 0; i < REJECTED; i++) {
    const id = `x${i.toString(36)}-bench`;
    at += 10;
    await put({ id, at, type: 'received', payload: junk, trigger: 'hook' });
    await put({ id, at, type: 'status', status: 'rejected', reason: 'not base64', payloadRef: 'rejected.jsonl' });
  }
  await new Promise<void>((r) => out.end(() => r()));
  // On disk, as a runner's journal is when it starts: otherwise the start's compaction (its fsync) waits for the kernel to write back these 445 MiB just written.
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return statSync(file).size;
}

export async function run(): Promise<BenchResult> {
  requireBuild();
  return timed(async () => {
    const dataDir = join(tempDir('oneha-bench-journal-'), 'data');
    const bytes = await writeJournal(dataDir);
    const sim = await startSim({ hosts: [{ id: 0, name: 'node-0' }], vms: [] });
    const rows: Row[] = [];
    const notes: string[] = [];
    try {
      for (const pass of ['uncompacted log', 'compacted log (second start)']) {
        const before = statSync(join(dataDir, 'journal', 'journal.jsonl')).size;
        const t0 = performance.now();
        const runner = await startRunner(sim.url, { reconcile: { intervalSeconds: 0 } }, { dataDir });
        const startMs = performance.now() - t0;
        const mem = procMemory(runner.proc.pid);
        const cpuMs = procCpuMs(runner.proc.pid);
        await runner.proc.stop('SIGTERM');
        rows.push({ metric: `start to listening, ${pass} (${mib(before)})`, value: ms(startMs, 0), target: `< ${TARGET_MS} ms`, verdict: startMs < TARGET_MS ? 'PASS' : 'FAIL' });
        // The runner's own CPU to that moment: on a busy machine the wall time above grows with everyone else's work, this far less.
        rows.push({ metric: `runner CPU to listening, ${pass}`, value: ms(cpuMs, 0), target: '', verdict: 'INFO' });
        rows.push({ metric: `peak RSS, ${pass}`, value: mib(mem.hwmKiB * 1024), target: '< 150 MB', verdict: mem.hwmKiB * 1024 < TARGET_BYTES ? 'PASS' : 'FAIL' });
      }
      // Both starts pay node's start-up and the runner's own; their ratio moves less with the machine's load than either figure.
      const [first, second] = rows.filter((r) => r.metric.startsWith('start to listening')).map((r) => parseFloat(r.value));
      rows.push({ metric: 'uncompacted / compacted start', value: `${(first / second).toFixed(2)}x`, target: '', verdict: 'INFO' });
      notes.push('A running runner never leaves such a log: it compacts whenever the log passes journal.compactMegabytes (64) and at every start, so the second start is the steady state. The first row is the worst case, a log never compacted. It is read in two passes: a byte-level scan of every line (id, type and status, checked against the event schema without building objects) decides what retention keeps, then only the kept recoveries\' lines are parsed and validated in full; the 95,000 recoveries compaction drops cost a scan, not a parse.');
      notes.push('Where the uncompacted start\'s CPU goes (measured on this machine, process CPU to "listening", 5 runs each in turn with the previous build: 1.64 s against 1.87 s): the byte scan of 620,000 lines ~0.6 s (about 1 µs a line: the scanner walks every byte of a line but its long strings, which memchr skips), reading 445 MiB ~0.1 s, retention\'s bookkeeping ~0.2 s, the full read of the kept lines ~0.15 s, the compaction ~0.1 s and its fsync. Tried and not kept: the second half of the log read by a worker thread (wall -12 % at load 6, but a second V8 isolate with zod adds 15-20 MiB that the process keeps: peak 134-142 MiB against the 143 MiB bound) and the compaction moved after listening (it then meets the runner\'s start-up work: peak 147-157 MiB).');
      notes.push(`The log written: ${mib(bytes)}, ${FINISHED.toLocaleString('en-US')} recoveries of 6 events (~3 KB payload each) and ${REJECTED.toLocaleString('en-US')} rejected payloads of ${REJECTED_PAYLOAD_BYTES / 1024} KiB. The runner keeps journal.retain (5,000) finished recoveries; the first start compacts the log to them.`);
    } finally {
      await sim.stop();
    }
    return {
      name: 'journal-start',
      title: 'journal-start: start-up time and memory with 100,000 recoveries and 10,000 rejected payloads',
      method: [
        'The journal file is written in the runner\'s own event format (received, host, status, step-started/-finished, status; rejected payloads as received + rejected), then `node dist/oneha.mjs serve` is started on it against a simulated oned.',
        'The log is written, then fsynced before the first start, as a runner\'s journal is (each append is fsynced): without it the start\'s compaction waits for the kernel to write back 445 MiB written a second before (measured: 3.5 s against 1.6 s wall, the same 1.65 s of runner CPU).',
        'Start = spawn to the "listening" log line (node start-up included). peak RSS = VmHWM from /proc/PID/status at that moment (the start\'s compaction, done before listening, included); runner CPU = its utime + stime from /proc/PID/stat then. Then the runner is stopped and started again on the log it compacted.',
      ],
      rows,
      notes,
    };
  });
}

runIfMain(import.meta.url, run);
