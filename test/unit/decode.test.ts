import { describe, expect, it } from 'vitest';
import { decodeHookPayload } from '../../functions/decode';
import { StepError } from '../../model/errors';
import { hookPayload } from '../helpers/samples';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof StepError ? e.code : `not a StepError: ${e}`;
  }
  return 'no error';
};

describe('decode', () => {
  it('reads the hook stdin exactly as the hook manager writes it (no trailing newline)', () => {
    const r = decodeHookPayload(hookPayload('-m -p 5'));
    expect(r.host).toMatchObject({ id: 1, name: 'kvm-node-02', state: 3, vms: [41, 42, 43, 44] });
    expect(r.host.template.FENCE_IP).toBe('10.0.100.12');
    expect(r.options).toEqual({ mode: 'migrate', force: false, pause: 5, fencing: true });
  });

  it.each([
    ['-r -f', { mode: 'recreate', force: true, pause: 2, fencing: true }],
    ['-d -p 0', { mode: 'delete', force: false, pause: 0, fencing: true }],
    ['--migrate --pause=3 --no-fencing', { mode: 'migrate', force: false, pause: 3, fencing: false }],
    ['-m -u -p7', { mode: 'migrate', force: false, pause: 7, fencing: false }],
    ['-m -m', { mode: 'migrate', force: false, pause: 2, fencing: true }],
  ])('flags %s', (flags, expected) => {
    expect(decodeHookPayload(hookPayload(flags)).options).toEqual(expected);
  });

  it('tolerates a trailing newline and repeated spaces', () => {
    expect(decodeHookPayload(`${hookPayload('-m')}\n`).options.mode).toBe('migrate');
    expect(decodeHookPayload(hookPayload('-m   -p   1')).options.pause).toBe(1);
  });

  it.each([
    ['empty payload', '', 'empty-payload'],
    ['missing mode', hookPayload('-p 5'), 'missing-mode'],
    ['unknown flag', hookPayload('-m -x'), 'unknown-flag'],
    ['two modes', hookPayload('-m -r'), 'conflicting-modes'],
    ['pause without value', hookPayload('-m -p'), 'bad-pause'],
    ['pause not a number', hookPayload('-m -p five'), 'bad-pause'],
    ['bad base64', 'not*base64! -m', 'bad-base64'],
    ['base64 of a VM, not a HOST', `${Buffer.from('<VM><ID>1</ID></VM>').toString('base64')} -m`, 'not-a-host'],
    ['base64 of garbage', `${Buffer.from('hello there').toString('base64')} -m`, 'not-a-host'],
    ['HOST without ID', `${Buffer.from('<HOST><NAME>x</NAME><STATE>3</STATE></HOST>').toString('base64')} -m`, 'not-a-host'],
  ])('%s gives a specific error', (_what, payload, expected) => {
    expect(code(() => decodeHookPayload(payload))).toBe(expected);
  });

  it('names the problem in the message', () => {
    expect(() => decodeHookPayload(hookPayload('-m -x'))).toThrow(/unknown flag "-x"/);
    expect(() => decodeHookPayload(hookPayload('-p 1'))).toThrow(/-m \(migrate\), -r \(recreate\), -d \(delete\)/);
  });

  it('decodes a payload again to the same result, which nobody can change; a bad payload fails every time', () => {
    const payload = hookPayload('-m -p 3');
    const first = decodeHookPayload(payload);
    const again = decodeHookPayload(`${payload}`);
    expect(again).toEqual(first);
    expect(Object.isFrozen(again.host.template)).toBe(true);
    expect(() => {
      (again.host as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(decodeHookPayload(payload).host.name).toBe('kvm-node-02');
    for (let i = 0; i < 2; i++) expect(code(() => decodeHookPayload(hookPayload('-m -x')))).toBe('unknown-flag');
  });
});
