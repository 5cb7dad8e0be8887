// recreate (-r): delete-recreate each planned VM: the same VM ID goes back to
// PENDING and is deployed again; non-persistent disk state is lost.
import { carryOutFunction } from './carryOut';
import { defineFunction } from './define';

export const recreate = defineFunction(carryOutFunction('recreate', 'recreate',
  'Delete-recreate each planned VM (one.vm.recover op 4): same ID back to PENDING, deployed again.'));
