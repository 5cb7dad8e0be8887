// What every command's action shares: its parsed values, a required value,
// printing a table or --json, and reading stdin.
import { CliError, EXIT } from './exitCodes';

export const HOST_HELP = 'a host id or name, as with onehost';

export type Values = Record<string, string | boolean | undefined>;

export function need(v: string | undefined, what: string): string {
  if (!v) throw new CliError(EXIT.badInput, `missing ${what}`);
  return v;
}

export function print<T>(v: Values, data: T, render: (d: T) => string, code: number = EXIT.ok): number {
  console.log(v.json ? JSON.stringify(data, null, 2) : render(data));
  return code;
}

export async function readStdin(): Promise<string> {
  // Read to the end straight from the file descriptor: process.stdin on a pipe
  // (the hook manager's) builds a socket stream, a few ms of the drop-in's
  // start (bench startup). A non-blocking descriptor says EAGAIN: read it as
  // a stream then.
  try {
    // Imported here: the command table (and so `--help`) does not load node:fs.
    return (await import('node:fs')).readFileSync(0, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
