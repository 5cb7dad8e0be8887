// `oneha hook host-error`: the foreground drop-in for ft/host_error.rb, on
// the composed services (compose.ts) with a text log and no runner.
import { appendFileSync } from 'node:fs';
import type { Log, LogFields } from '../../model/ports';
import { composeBasics } from '../compose';
import { loadConfig } from '../config';
import { runDropIn } from '../dropIn';
import { stderrSink, TextLogger } from '../log';
import { need, readStdin, type Values } from './args';
import { CliError, EXIT } from './exitCodes';
import { ticker, type Ticker } from './progress';

const DROP_IN_ONED_PATIENCE_SECONDS = 10;

/**
 * The drop-in's log on a terminal: while the wait step watches the host, a
 * progress line under the log counts down to fencing; any log line clears it.
 */
class WaitProgressLog implements Log {
  private tick?: Ticker;
  constructor(private readonly inner: Log) {}
  private around(write: () => void, fields?: LogFields) {
    this.tick?.stop();
    this.tick = undefined;
    write();
    const until = fields?.waitUntil;
    if (typeof until === 'number') {
      this.tick = ticker(() => `  waiting for host ${fields?.hostId} to come back: ${Math.max(0, Math.ceil((until - Date.now()) / 1000))} s left before fencing`);
    }
  }
  info(msg: string, fields?: LogFields) { this.around(() => this.inner.info(msg, fields), fields); }
  warn(msg: string, fields?: LogFields) { this.around(() => this.inner.warn(msg, fields), fields); }
  error(msg: string, fields?: LogFields) { this.around(() => this.inner.error(msg, fields), fields); }
  stop() { this.tick?.stop(); }
}

export async function hookCommand(_v: Values, rest: string[]): Promise<number> {
  if (rest[0] !== 'host-error') throw new CliError(EXIT.badInput, 'oneha hook takes one event: host-error (oneha hook --help)');
  // Hook flags (-m, -p 5, ...) pass through untouched: only our own options are taken out.
  const words = rest.slice(1);
  let fenceCommand: string | undefined;
  let logFile: string | undefined;
  const payloadWords: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '--fence-command') fenceCommand = need(words[++i], 'the --fence-command value');
    else if (words[i].startsWith('--fence-command=')) fenceCommand = words[i].slice('--fence-command='.length);
    else if (words[i] === '--log') logFile = need(words[++i], 'the --log value');
    else payloadWords.push(words[i]);
  }
  const config = loadConfig();
  const text = new TextLogger(logFile ? { write: (l: string) => appendFileSync(logFile!, l) } : stderrSink);
  const log = logFile ? text : new WaitProgressLog(text);
  // ARGUMENTS_STDIN = yes: the payload is stdin; otherwise it is argv.
  const payload = payloadWords.length ? payloadWords.join(' ') : await readStdin();
  const services = composeBasics<Log>(config, { log, fenceCommand });
  const { code, recovery } = await runDropIn(payload, {
    ...services,
    // In the foreground there is no journal to resume from and the hook manager
    // waits: oned gets a short while to answer, then exit 3 (onehook retry runs it again).
    settings: { ...services.settings, transientDeadlineSeconds: Math.min(config.retries.deadlineSeconds, DROP_IN_ONED_PATIENCE_SECONDS) },
  });
  log.info(`finished: ${recovery.status}${recovery.reason ? ` (${recovery.reason})` : ''}; exit ${code}`, { hostId: recovery.hostId });
  if (log instanceof WaitProgressLog) log.stop();
  return code;
}
