// A simulated IPMI BMC (OpenIPMI's ipmi_sim) on a loopback UDP port, for
// running the real fence_ipmilan against (tests, and `oneha demo --bmc`). The chassis power lives in a file
// the chassis-control script reads and writes, so a test can read and set it;
// in "stuck-on" mode the script ignores `set` (a BMC that never powers off).
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Power = 'on' | 'off';

export interface IpmiSimOptions {
  username?: string;
  /** At most 16 characters of letters, digits and -_.: (written into lan.conf). */
  password: string;
  mode?: 'normal' | 'stuck-on';
  power?: Power;
}

export interface IpmiSim {
  port: number;
  power(): Power;
  setPower(p: Power): void;
  /** Every power command the BMC carried out (not setPower's), oldest first: what a test counts fencings by. */
  commands(): Array<{ power: Power; at: number }>;
  stop(): Promise<void>;
}

/** ipmi_sim cannot bind port 0: ask the kernel for a free one and hand it over. */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((res, rej) => { s.once('error', rej); s.bind(0, '127.0.0.1', () => res()); });
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

/** True once `pid` owns a UDP socket bound to 127.0.0.1:port (a second ipmi_sim on a taken port runs silently unbound). */
function boundBy(pid: number, port: number): boolean {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let inode: string | undefined;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === hex) inode = f[9];
  }
  if (!inode) return false;
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`; } catch { return false; }
    });
  } catch {
    return false;
  }
}

function chassisScript(powerFile: string, commandLog: string, stuck: boolean): string {
  // Called as: SCRIPT 0x20 get power  |  SCRIPT 0x20 set power 0|1
  return `#!/bin/sh
shift
case "$1" in
get) shift; for p in "$@"; do [ "$p" = power ] && echo "power:$(cat '${powerFile}')"; done ;;
set) shift; while [ $# -ge 2 ]; do
       ${stuck ? ': # stuck: ignores every set' : `[ "$1" = power ] && echo "$2" > '${powerFile}' && echo "$2 $(date +%s%3N)" >> '${commandLog}'`}
       shift 2
     done ;;
esac
exit 0
`;
}

export const IPMI_SIM = '/usr/bin/ipmi_sim';

export async function startIpmiSim(opts: IpmiSimOptions): Promise<IpmiSim> {
  try {
    accessSync(IPMI_SIM, constants.X_OK);
  } catch {
    throw new Error(`${IPMI_SIM} is missing: apt-get install -y --no-install-recommends openipmi`);
  }
  const username = opts.username ?? 'admin';
  if (!/^[A-Za-z0-9_.:-]{1,16}$/.test(opts.password)) throw new Error('ipmiSim: password must be 1-16 of A-Z a-z 0-9 _ . : -');
  const dir = mkdtempSync(join(tmpdir(), 'oneha-ipmisim-'));
  const powerFile = join(dir, 'power');
  const script = join(dir, 'chassis.sh');
  const commandLog = join(dir, 'commands.log');
  writeFileSync(powerFile, (opts.power ?? 'on') === 'on' ? '1\n' : '0\n');
  writeFileSync(script, chassisScript(powerFile, commandLog, opts.mode === 'stuck-on'), { mode: 0o700 });
  mkdirSync(join(dir, 'state'));
  writeFileSync(join(dir, 'bmc.emu'), 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02\nmc_enable 0x20\n');

  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freeUdpPort();
    writeFileSync(join(dir, 'lan.conf'), [
      'name "oneha-test"',
      'set_working_mc 0x20',
      '  startlan 1',
      `    addr 127.0.0.1 ${port}`,
      '    priv_limit admin',
      '    allowed_auths_callback none md2 md5 straight',
      '    allowed_auths_user none md2 md5 straight',
      '    allowed_auths_operator none md2 md5 straight',
      '    allowed_auths_admin none md2 md5 straight',
      '    guid a123456789abcdefa123456789abcdef',
      '  endlan',
      `  chassis_control "${script} 0x20"`,
      `user 2 true "${username}" "${opts.password}" admin 10 none md2 md5 straight`,
      '',
    ].join('\n'));
    const c = spawn(IPMI_SIM, ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'bmc.emu'), '-s', join(dir, 'state'), '-n'], { stdio: 'ignore' });
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && c.exitCode === null && !boundBy(c.pid!, port)) await new Promise((r) => setTimeout(r, 10));
    if (c.exitCode === null && boundBy(c.pid!, port)) child = c;
    else c.kill('SIGKILL');
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('ipmi_sim did not start (no UDP port bound after 5 attempts)');
  }
  const running = child;
  // Whatever ends this process (a crash, SIGKILL from a test, Ctrl-C under npm), its BMCs
  // must not outlive it: a detached watchdog kills ipmi_sim once this process is gone.
  spawn('/bin/sh', ['-c', 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 0.5; done; kill -9 "$2" 2>/dev/null', 'watchdog', String(process.pid), String(running.pid)],
    { detached: true, stdio: 'ignore' }).unref();
  return {
    port,
    power: () => (readFileSync(powerFile, 'utf8').trim() === '1' ? 'on' : 'off'),
    setPower: (p) => writeFileSync(powerFile, p === 'on' ? '1\n' : '0\n'),
    commands: () => (existsSync(commandLog) ? readFileSync(commandLog, 'utf8').split('\n').filter(Boolean).map((l) => {
      const [p, at] = l.split(' ');
      return { power: p === '1' ? 'on' : 'off', at: Number(at) } as const;
    }) : []),
    async stop() {
      if (running.exitCode === null && running.signalCode === null) {
        const gone = new Promise((r) => running.once('exit', r));
        running.kill('SIGKILL');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
