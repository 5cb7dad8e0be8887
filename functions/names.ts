// The recovery functions' names, as plain data: the CLI's help lists them
// without loading the functions (and zod). registry.ts is checked against
// this list by the compiler (`satisfies`), so the two cannot drift.
export const FUNCTION_NAMES = ['decode', 'hostState', 'wait', 'fence', 'inventory', 'select', 'migrate', 'recreate', 'delete', 'recover', 'verify', 'finish'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];
