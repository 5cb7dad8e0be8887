// Entry of dist/oneha.mjs.
import { main } from './cli/main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`oneha: ${e instanceof Error ? e.stack : String(e)}`);
    process.exitCode = 1;
  },
);
