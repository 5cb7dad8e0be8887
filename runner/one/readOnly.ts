// A guard for dry runs: reads go to oned, any write throws before it is sent.
import type { OneApi } from '../../model/ports';
import { OneError, OneErrorCode } from '../../model/errors';

const WRITES = new Set<keyof OneApi>([
  'hostUpdate', 'hostStatus', 'vmAction', 'vmRecover', 'vmLock', 'vmUnlock', 'documentAllocate', 'documentUpdate', 'documentDelete',
]);

export function readOnly(one: OneApi): OneApi {
  return new Proxy(one, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && WRITES.has(prop as keyof OneApi)) {
        return () => Promise.reject(new OneError(prop, OneErrorCode.AUTHORIZATION, `dry run: ${prop} was not sent`));
      }
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
