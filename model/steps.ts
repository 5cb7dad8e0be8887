// The recovery's steps in the order the flow runs them: the journal's step
// names, `oneha replay --from` and `oneha show --step`. Plain data (no zod),
// so the CLI's help can name them without loading anything else.
export const STEP_NAMES = ['decode', 'wait', 'fence', 'inventory', 'select', 'recover', 'verify', 'finish'] as const;
export type StepName = (typeof STEP_NAMES)[number];
