#!/usr/bin/env node
// `npx oneha` in a checkout: the built bundle (npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/oneha.mjs', import.meta.url));
if (!existsSync(bundle)) {
  console.error('oneha: dist/oneha.mjs is missing: run `npm run build` first');
  process.exit(1);
}
await import(bundle);
