// migrate (-m): reschedule each planned VM; the scheduler restarts it on
// another host. Only planned for VMs on shared system datastores.
import { carryOutFunction } from './carryOut';
import { defineFunction } from './define';

export const migrate = defineFunction(carryOutFunction('migrate', 'resched',
  'Reschedule each planned VM (one.vm.action "resched"); the scheduler restarts it on another host.'));
