// The host policy codec: per-host HA and fence settings on the host template.
// One file per concept; the table is fields.ts.
export * from './agentName';
export * from './fenceIp';
export * from './fenceLevels';
export * from './fenceOptions';
export * from './fields';
export * from './haSettings';
export * from './problem';
export * from './secretRef';
export * from './settingsBody';
export * from './view';
export * from './agentOptions';
