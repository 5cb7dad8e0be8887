// The simulated BMC lives with the simulator (the demo uses it too).
export { startIpmiSim, type IpmiSim, type IpmiSimOptions, type Power } from '../../../sim/bmc/ipmiSim';
