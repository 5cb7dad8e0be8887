// How a command's failure becomes its message and exit code, for the command
// table (main.ts) and the drop-in's own entry (dropInMain.ts) alike.
import { classify, describeError } from '../../model/errors';
import { CliError, EXIT } from './exitCodes';

/** Runs a command's action; a failure is printed as one `oneha: ...` line and mapped to its exit code. */
export async function runAction(action: () => Promise<number>): Promise<number> {
  try {
    return await action();
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`oneha: ${e.message}`);
      return e.exit;
    }
    // A wrong configuration or missing credentials (ConfigError, CredentialsError) is bad input.
    console.error(`oneha: ${describeError(e)}`);
    return classify(e).kind === 'invalid-input' ? EXIT.badInput : EXIT.failed;
  }
}
