// The schema library every layer imports: zod's functional API (zod/mini),
// which a bundle keeps only the parts of it uses (classic zod puts every
// method on every schema, ~95 KiB in each function bundle), with zod's
// English messages: zod/mini sets no locale, and without this every problem
// an operator reads would say only "Invalid input".
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());

export * from 'zod/mini';
/** What zod/mini's parse throws (zod/mini exports it only inside `core`, whose namespace would bring every locale). */
export { $ZodError } from 'zod/v4/core';
