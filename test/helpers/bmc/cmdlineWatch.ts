// Watches every process's command line (/proc/*/cmdline, readable by any
// local user: what `ps` shows) for a string, while fence agents run. The
// poller is a separate process in a tight synchronous loop, so it samples
// far more often than the test's own event loop could, and short-lived
// children (an agent's ipmitool) are seen. The needle reaches it through its
// environment, which (unlike argv) is private to its owner.
import { spawn } from 'node:child_process';

const POLLER = `
const fs = require('fs');
const needle = Buffer.from(process.env.WATCH_NEEDLE, 'utf8');
delete process.env.WATCH_NEEDLE;
const self = String(process.pid);
let scans = 0; const hits = []; let stop = false;
process.stdin.on('data', () => {}); process.stdin.on('end', () => { stop = true; });
function scan() {
  scans++;
  for (const pid of fs.readdirSync('/proc')) {
    if (pid === self || !/^\\d+$/.test(pid)) continue;
    let c; try { c = fs.readFileSync('/proc/' + pid + '/cmdline'); } catch { continue; }
    if (c.includes(needle)) hits.push(c.toString('utf8').split(needle.toString()).join('<NEEDLE>').split('\\0').join(' ').slice(0, 300));
  }
}
function loop() {
  const until = Date.now() + 20;
  while (Date.now() < until) scan();
  if (stop) { process.stdout.write(JSON.stringify({ scans, hits })); return; }
  setImmediate(loop); // lets stdin's end arrive
}
loop();
`;

export interface CmdlineWatch {
  /** Ends the watch: how many full scans of /proc ran, and every command line that held the needle (needle masked). */
  stop(): Promise<{ scans: number; hits: string[] }>;
}

export function watchCmdlines(needle: string): CmdlineWatch {
  const child = spawn(process.execPath, ['-e', POLLER], { env: { WATCH_NEEDLE: needle }, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<{ scans: number; hits: string[] }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => {
      try { resolve(JSON.parse(out) as { scans: number; hits: string[] }); } catch { reject(new Error(`cmdline watcher failed: ${out}`)); }
    });
  });
  return {
    stop() {
      child.stdin.end();
      return done;
    },
  };
}
