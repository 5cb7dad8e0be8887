// recover: a plan whose VMs do not all share the host's operation (a VM's
// ONEHA_MODE overrides the host's): each action carried out with its own.
import { carryOutFunction } from './carryOut';
import { defineFunction } from './define';

export const recover = defineFunction(carryOutFunction('recover', undefined,
  'Carry out each planned VM with its own operation (resched, recreate or delete), for plans where a VM overrides the host\'s mode.'));
