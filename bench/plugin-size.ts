// plugin-size: gzip size of the admin console's script (and stylesheet),
// as build.mjs recorded it in dist/sizes.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './lib/procs';
import { int, runIfMain, timed, type BenchResult, type Row } from './lib/report';

const TARGET_GZIP = 120 * 1024;
const FILES = ['dist/plugin/app.js', 'dist/plugin/style.css'];

export async function run(): Promise<BenchResult> {
  return timed(async () => {
    const sizesFile = join(ROOT, 'dist', 'sizes.json');
    const sizes: Record<string, { bytes: number; gzip: number }> = existsSync(sizesFile) ? JSON.parse(readFileSync(sizesFile, 'utf8')) : {};
    const rows: Row[] = [];
    const notes: string[] = [];
    const built = existsSync(join(ROOT, FILES[0])) && sizes[FILES[0]] !== undefined;
    if (!existsSync(join(ROOT, 'plugin', 'src', 'main.ts'))) notes.push('plugin/src/main.ts does not exist in this tree; build.mjs only bundles the plugin when it does.');
    if (!built) {
      rows.push({ metric: 'dist/plugin/app.js gzipped', value: 'not built', target: '< 120 KB', verdict: 'N/A' });
    } else {
      let total = 0;
      for (const f of FILES) {
        const s = sizes[f];
        if (!s || !existsSync(join(ROOT, f))) continue;
        total += s.gzip;
        const now = gzipSync(readFileSync(join(ROOT, f))).length;
        if (now !== s.gzip) notes.push(`${f}: sizes.json says ${int(s.gzip)} B gzipped, the file on disk gzips to ${int(now)} B (sizes.json is older than the file?).`);
        const isApp = f === FILES[0];
        rows.push({
          metric: `${f} gzipped (raw)`,
          value: `${int(s.gzip)} B = ${(s.gzip / 1024).toFixed(1)} KiB (${int(s.bytes)} B raw)`,
          ...(isApp ? { target: '< 120 KB (122,880 B)', verdict: s.gzip < TARGET_GZIP ? 'PASS' as const : 'FAIL' as const } : {}),
        });
      }
      rows.push({ metric: 'app.js + style.css gzipped', value: `${int(total)} B = ${(total / 1024).toFixed(1)} KiB`, verdict: 'INFO' });
    }
    return {
      name: 'plugin-size',
      title: 'plugin-size: admin console bundle, gzipped',
      method: ['Read from `dist/sizes.json`, which `node build.mjs` (run by `npm run bench`) writes: each file\'s raw size and `zlib.gzipSync` size (default level). The file on disk is gzipped again to check sizes.json is current. KB = 1,024 B here.'],
      rows,
      notes,
    };
  });
}

runIfMain(import.meta.url, run);
