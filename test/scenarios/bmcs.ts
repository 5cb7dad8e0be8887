// The golden scenarios' fence port: one simulated fence device per address
// (a host's FENCE_IP, or FENCE_IP_2 for its second level), answering
// fence-agent methods in-process and at once, so fencing is deterministic.
// Command methods (fence_host.sh-style scripts) still run for real, and are listed too.
import type { Host } from '../../model/one';
import type { FenceMethod, PowerAction, PowerAnswer } from '../../model/fence';
import type { FencePort } from '../../model/ports';

/** How a device behaves: answers, keeps the host on whatever it is told, or cannot be reached. */
export type DeviceMode = 'ok' | 'stuck-on' | 'unreachable';

export class SimulatedBmcs implements FencePort {
  private readonly powerState = new Map<number, 'on' | 'off'>();
  private readonly devices = new Map<string, DeviceMode>();
  /** Every action a device answered, for the golden log. */
  readonly actions: string[] = [];

  constructor(private readonly commands: FencePort, private readonly now: () => string) {}

  powerOf(hostId: number): 'on' | 'off' {
    return this.powerState.get(hostId) ?? 'on';
  }
  setPower(hostId: number, p: 'on' | 'off'): void {
    this.powerState.set(hostId, p);
  }
  setMode(address: string, mode: DeviceMode): void {
    this.devices.set(address, mode);
  }

  async power(method: FenceMethod, action: PowerAction, host: Host): Promise<PowerAnswer> {
    if (method.kind === 'command') {
      // Each run of a command is a side effect too: listed, so a golden shows how often it ran.
      const answer = await this.commands.power(method, action, host);
      this.actions.push(`${this.now()} command ${method.command} ${action} -> ${answer.ok ? 'exit 0' : `error: ${answer.error}`}`);
      return answer;
    }
    const address = method.options.ip ?? host.template.FENCE_IP ?? '';
    const mode = this.devices.get(address) ?? 'ok';
    const answer = ((): PowerAnswer => {
      if (mode === 'unreachable') return { ok: false, error: `Unable to connect/login to fencing device ${address}`, exitCode: 1, durationMs: 0 };
      if (action === 'status') return { ok: true, power: this.powerOf(host.id), exitCode: this.powerOf(host.id) === 'on' ? 0 : 2, durationMs: 0 };
      if (mode === 'stuck-on' && action === 'off') return { ok: false, error: 'Timed out waiting to power OFF', exitCode: 1, durationMs: 0 };
      this.powerState.set(host.id, action);
      return { ok: true, power: action, exitCode: 0, durationMs: 0 };
    })();
    this.actions.push(`${this.now()} ${method.agent} ${address} ${action} -> ${answer.ok ? answer.power : `error: ${answer.error}`}`);
    return answer;
  }
}
