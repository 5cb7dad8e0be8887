// docs/security.md names, for each claim, the test that proves it: every
// test name quoted there must be the title of a test in the suite.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const squash = (s: string) => s.replace(/\s+/g, ' ');

function testSources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? testSources(p) : p.endsWith('.test.ts') ? [readFileSync(p, 'utf8')] : [];
  });
}

describe('docs/security.md', () => {
  const doc = squash(readFileSync(join(ROOT, 'docs', 'security.md'), 'utf8'));
  // Test titles are quoted in the document: "..." of at least four words.
  const quoted = [...doc.matchAll(/"([^"]{20,})"/g)].map((m) => m[1]).filter((q) => q.split(' ').length >= 4);
  const titles = squash(testSources(join(ROOT, 'test')).join('\n'));

  it('names tests for its claims', () => {
    expect(quoted.length).toBeGreaterThan(25);
  });

  it.each(quoted)('"%s" is a test in the suite', (title) => {
    expect(titles).toContain(title);
  });
});
