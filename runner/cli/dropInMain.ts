// Entry of dist/oneha-dropin.cjs: `oneha hook host-error`, the drop-in oned's
// hook manager starts on every host failure. It is CommonJS, one file, and
// deploy/bin/oneha runs it directly: node starts a CommonJS main without its
// ES module loader, about 5 ms (5% of `node -e 0`) sooner (bench startup).
// dist/oneha.mjs imports it for `oneha hook` too, so both run the same code.
import { hookCommand } from './hook';
import { CliError, EXIT } from './exitCodes';
import { runAction } from './runAction';

export { hookCommand };

// Run only as node's main module (`node oneha-dropin.cjs hook host-error ...`), not when imported.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  const [name, ...rest] = process.argv.slice(2);
  void runAction(async () => {
    // `oneha hook --help` and any other command go through dist/oneha.mjs (deploy/bin/oneha sends them there).
    if (name !== 'hook' || rest.includes('--help')) throw new CliError(EXIT.badInput, 'this is the drop-in\'s own build: it runs `oneha hook host-error ...` only (oneha hook --help)');
    return hookCommand({}, rest);
  }).then((code) => {
    process.exitCode = code;
  });
}
