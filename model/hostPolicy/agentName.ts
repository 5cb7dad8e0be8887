// A fence agent is named by its executable: fence_ipmilan, fence_redfish, ...
// The name is also a path component under config fence.agentDir, so nothing
// else gets through.
export const FENCE_AGENT_NAME = /^fence_[a-z0-9_]+$/;
export const FENCE_AGENT_HINT = 'a fence agent name such as fence_ipmilan';

export function isFenceAgentName(s: string): boolean {
  return FENCE_AGENT_NAME.test(s);
}
