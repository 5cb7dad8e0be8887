// BMC credentials, kept out of the host template (readable by anyone who can
// see the host), out of responses and out of logs. A JSON file only its owner
// can read:
//   { "default": {"username": "admin", "password": "..."},
//     "host:7":  {...},            // one host's own BMC
//     "pdu-a":   {...} }           // any name a fence level points at (secretRef)
// plus ONEHA_FENCE_USERNAME / ONEHA_FENCE_PASSWORD as "default" when the file
// has none. Write-only from the outside: describe() tells which refs exist
// and whether they hold a username and a password, never the values.
//
// The file is read afresh on every use (it is tiny), so an operator's edit
// applies without a restart and no copy of a secret stays in memory.
import { chmodSync, mkdirSync, openSync, closeSync, writeSync, renameSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from '../../model/zod';
import { hostRef, SECRET_REF, SECRET_REF_HINT } from '../../model/hostPolicy/secretRef';

export { hostRef };

export const SecretRefSchema = z.string().check(z.regex(SECRET_REF, SECRET_REF_HINT));

export const CredentialsSchema = z.object({
  username: z._default(z.string(), ''),
  password: z.string(),
});
export type Credentials = z.output<typeof CredentialsSchema>;

const SecretFileSchema = z.record(SecretRefSchema, CredentialsSchema);

export interface SecretDescription {
  ref: string;
  usernameSet: boolean;
  passwordSet: boolean;
  source: 'file' | 'env';
}

export interface ResolvedCredentials {
  ref: string;
  credentials: Credentials;
}

export interface SecretStore {
  /** Every password the store would hand out (the file's, the environment's default): what logs must never show. */
  passwords(): string[];
  get(ref: string): Credentials | undefined;
  set(ref: string, creds: { username?: string; password: string }): void;
  /** False when there was nothing (in the file) to delete. */
  delete(ref: string): boolean;
  has(ref: string): boolean;
  describe(): SecretDescription[];
  /** The refs tried for a host, in order: the method's secretRef, host:<id>, default. */
  refsForHost(hostId: number, secretRef?: string): string[];
  forHost(hostId: number, secretRef?: string): ResolvedCredentials | undefined;
}

export class SecretStoreError extends Error {
  /** classify(): the store refused or could not be read; the request may be fine. */
  readonly kind = 'conflict' as const;
  readonly code = 'secret-store';
  constructor(message: string) {
    super(message);
    this.name = 'SecretStoreError';
  }
}

export interface SecretStoreOptions {
  /** Path of the JSON file; without it only the environment's default exists and set() refuses. */
  file?: string;
  env?: Record<string, string | undefined>;
}

export function createSecretStore(opts: SecretStoreOptions = {}): SecretStore {
  const env = opts.env ?? process.env;
  const file = opts.file;

  function envDefault(): Credentials | undefined {
    const username = env.ONEHA_FENCE_USERNAME ?? '';
    const password = env.ONEHA_FENCE_PASSWORD ?? '';
    return username || password ? { username, password } : undefined;
  }

  /**
   * The file as last read, and the stat it was read at: every log line asks
   * for the passwords to scrub (compose.ts), and reading and checking the whole
   * file each time cost a read, a JSON parse and a validation per line.
   */
  let cached: { stamp: string; entries: Record<string, Credentials> } | undefined;

  /** The file's entries (a copy: set and delete change it before writing it back). */
  function readFile(): Record<string, Credentials> {
    if (!file) return {};
    let st;
    try {
      st = statSync(file, { throwIfNoEntry: false });
    } catch (e) {
      throw new SecretStoreError(`cannot read the fence secret file ${file}: ${(e as Error).message}`);
    }
    if (!st) return {};
    const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}`;
    if (cached?.stamp !== stamp) cached = { stamp, entries: readChecked(st.mode) };
    return { ...cached.entries };
  }

  function readChecked(mode: number): Record<string, Credentials> {
    if (!file) return {};
    if ((mode & 0o077) !== 0) {
      throw new SecretStoreError(
        `the fence secret file ${file} is open to group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // JSON.parse's own message quotes the text around the error: it could quote a password.
      throw new SecretStoreError(`the fence secret file ${file} is not valid JSON`);
    }
    const parsed = SecretFileSchema.safeParse(data);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => i.path.join('.') || '(top)').join(', ');
      throw new SecretStoreError(`the fence secret file ${file} has a bad entry at ${where}: each ref maps to {"username": "...", "password": "..."}`);
    }
    return parsed.data;
  }

  /** Atomic replace with mode 0600 from the first byte: a crash never leaves a half-written or readable file. */
  function writeFile(entries: Record<string, Credentials>): void {
    if (!file) throw new SecretStoreError('no fence secret file is configured: credentials can only come from ONEHA_FENCE_USERNAME / ONEHA_FENCE_PASSWORD');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entries, null, 2)}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      chmodSync(tmp, 0o600);
      renameSync(tmp, file);
    } catch (e) {
      try { unlinkSync(tmp); } catch { /* already gone */ }
      throw e;
    }
  }

  function checkRef(ref: string): string {
    const r = SecretRefSchema.safeParse(ref);
    if (!r.success) throw new SecretStoreError(`bad secret ref "${ref}": ${r.error.issues[0]?.message}`);
    return r.data;
  }

  const store: SecretStore = {
    passwords() {
      const entries = readFile();
      const out = Object.values(entries).map((c) => c.password);
      if (!entries.default) out.push(envDefault()?.password ?? '');
      return out.filter(Boolean);
    },
    get(ref) {
      const fromFile = readFile()[ref];
      if (fromFile) return fromFile;
      return ref === 'default' ? envDefault() : undefined;
    },
    set(ref, creds) {
      checkRef(ref);
      const c = CredentialsSchema.safeParse(creds);
      if (!c.success) throw new SecretStoreError('credentials need a password (string) and optionally a username (string)');
      const entries = readFile();
      entries[ref] = c.data;
      writeFile(entries);
    },
    delete(ref) {
      const entries = readFile();
      if (!Object.hasOwn(entries, ref)) return false;
      delete entries[ref];
      writeFile(entries);
      return true;
    },
    has(ref) {
      return store.get(ref) !== undefined;
    },
    describe() {
      const out: SecretDescription[] = Object.entries(readFile()).map(([ref, c]) => ({
        ref, usernameSet: c.username !== '', passwordSet: c.password !== '', source: 'file' as const,
      }));
      const d = envDefault();
      if (d && !out.some((e) => e.ref === 'default')) out.push({ ref: 'default', usernameSet: d.username !== '', passwordSet: d.password !== '', source: 'env' });
      return out.sort((a, b) => a.ref.localeCompare(b.ref));
    },
    refsForHost(hostId, secretRef) {
      const refs = [secretRef, hostRef(hostId), 'default'].filter((r): r is string => !!r);
      return [...new Set(refs)];
    },
    forHost(hostId, secretRef) {
      const entries = readFile();
      for (const ref of store.refsForHost(hostId, secretRef)) {
        const c = entries[ref] ?? (ref === 'default' ? envDefault() : undefined);
        if (c) return { ref, credentials: c };
      }
      return undefined;
    },
  };
  return store;
}
