// `oneha serve`: the runner with the admin console, until SIGTERM/SIGINT.
import { describeError } from '../../model/errors';
import { loadConfig } from '../config';
import { pluginExtensions } from '../pluginExtensions';
import { Runner } from '../runner';
import { EXIT } from './exitCodes';

export async function serveCommand(): Promise<number> {
  // The admin console is part of the runner: sign-in, host settings, the page.
  const runner = new Runner(loadConfig(), { extensions: pluginExtensions });
  await runner.start();
  await new Promise<void>((resolve) => {
    const stop = () => {
      // Within 5 s whatever happens (systemd's TimeoutStopSec is 30 s): every acknowledged event is already durable.
      setTimeout(() => {
        console.error('oneha: stop took too long; exiting (flows resume from the journal at the next start)');
        process.exit(EXIT.ok);
      }, 4500).unref();
      void runner.stop().then(resolve, (e) => {
        console.error(`oneha: stop: ${describeError(e)}`);
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Flows cut short by the stop may still hold timers or sockets: the process ends here, not when they drain.
  process.exit(EXIT.ok);
}
