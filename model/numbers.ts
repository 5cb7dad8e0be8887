// The number schemas the model, the functions and the configuration share,
// one instance each (a zod schema is immutable; checks and wrappers make new
// ones), so each is built once at load instead of at every field: building a
// zod schema costs about 20 µs and four objects, and the drop-in builds a few
// hundred of them before its first decision (bench startup).
import * as z from './zod';

export const Int = z.number().check(z.int());
export const NonNegativeInt = z.number().check(z.int(), z.nonnegative());
export const PositiveInt = z.number().check(z.int(), z.positive());
export const Positive = z.number().check(z.positive());
