// A scripted OpenNebula for unit tests of single steps (integration tests
// use the simulator over real XML-RPC instead).
import type { Host, Vm } from '../../model/one';
import { OneError } from '../../model/errors';
import type { OneApi } from '../../model/ports';

export function fakeOne(partial: Partial<OneApi>): OneApi & { calls: string[] } {
  const calls: string[] = [];
  return new Proxy({ calls } as OneApi & { calls: string[] }, {
    get(target, prop) {
      if (prop === 'calls') return calls;
      const impl = (partial as Record<string, unknown>)[prop as string];
      return (...args: unknown[]) => {
        calls.push(`${String(prop)}(${args.map((a) => JSON.stringify(a)).join(', ')})`);
        if (typeof impl !== 'function') return Promise.reject(new OneError(String(prop), -3, `fakeOne: ${String(prop)} not scripted`));
        return Promise.resolve().then(() => impl(...args));
      };
    },
  });
}

export const vm = (id: number, state: number, lcm: number, hid: number, extra: Partial<Vm> = {}): Vm => ({
  id, name: `vm-${id}`, uname: 'oneadmin', gname: 'oneadmin', state, lcmState: lcm, resched: 0,
  history: [{ seq: 0, hostname: `host-${hid}`, hid, dsId: 0, action: 0 }], ...extra,
});

export const host = (id: number, state: number, extra: Partial<Host> = {}): Host => ({
  id, name: `host-${id}`, state, prevState: state, clusterId: 0, cluster: 'default', vms: [], template: {}, ...extra,
});
