// delete (-d): delete each planned VM (one.vm.recover op 3).
import { carryOutFunction } from './carryOut';
import { defineFunction } from './define';

export const deleteVms = defineFunction(carryOutFunction('delete', 'delete',
  'Delete each planned VM (one.vm.recover op 3).'));
