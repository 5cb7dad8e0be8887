// The `cmd` file of a scenario: what happens, when. One entry per line:
//   <seconds> <command>            at that virtual time (entries at the same time run in file order;
//                                  the runner starts at 0, so a negative time is before it runs)
//   on <event> <what> <command>    once, the first time the runner reaches that point
// Events: step-started <step> | step-finished <step> | status <status> (journal
// events, once durable) | call <method> (an XML-RPC call oned has carried out,
// before the runner sees the answer) | fence <action> (a fence device carried
// out status/off/on). `#` starts a comment. The commands are listed in
// README.md; each is checked here so a typo fails loudly.

export interface TimedEntry {
  at: number;
  words: string[];
  line: number;
}
export interface Trigger {
  event: 'step-started' | 'step-finished' | 'status' | 'call' | 'fence';
  what: string;
  words: string[];
  line: number;
  fired: boolean;
}
export interface Timeline {
  timed: TimedEntry[];
  triggers: Trigger[];
}

const EVENTS = new Set(['step-started', 'step-finished', 'status', 'call', 'fence']);

/** A command's shape: the words it takes after its verb(s), as a pattern over the whole command. */
const COMMANDS: [RegExp, string][] = [
  [/^fail host \d+$/, 'fail host N'],
  [/^restore host \d+$/, 'restore host N'],
  [/^flap host \d+ times \d+ down \d+ up \d+$/, 'flap host N times K down S up S'],
  [/^(enable|disable) host \d+$/, 'enable|disable host N'],
  [/^lock vm \d+ [1-4]$/, 'lock vm N <level 1-4>'],
  [/^hook host \d+( \S+)*$/, 'hook host N [flags...]'],
  [/^hook again$/, 'hook again'],
  [/^template host \d+( [A-Z0-9_]+=\S*)+$/, 'template host N KEY=VALUE...'],
  [/^template vm \d+( [A-Z0-9_]+=\S*)+$/, 'template vm N KEY=VALUE...'],
  [/^oned down( \d+(\.\d+)?)?$/, 'oned down [seconds]'],
  [/^oned up$/, 'oned up'],
  [/^fault auth$/, 'fault auth'],
  [/^fault error \S+( vm \d+)? [A-Z_]+( times \d+)?$/, 'fault error <method> [vm N] <CODE> [times N]'],
  [/^latency \d+$/, 'latency <ms>'],
  [/^restart runner$/, 'restart runner'],
  [/^disarm( host \d+)? \d+( .*)?$/, 'disarm [host N] <minutes> [reason...]'],
  [/^arm( host \d+)?$/, 'arm [host N]'],
  [/^release (R\d+|host \d+)$/, 'release R<n> | release host N'],
  [/^confirm-down R\d+ .+$/, 'confirm-down R<n> <reason...>'],
  [/^replay R\d+( from \S+)?$/, 'replay R<n> [from <step>]'],
  [/^rehearse host \d+$/, 'rehearse host N'],
  [/^bmc \d+( level \d)? (on|off|ok|stuck-on|unreachable)$/, 'bmc <host> [level N] on|off|ok|stuck-on|unreachable'],
  [/^raft (solo|candidate|follower|leader)$/, 'raft solo|candidate|follower|leader'],
  [/^end$/, 'end'],
];

function checkCommand(words: string[], where: string): void {
  const text = words.join(' ');
  if (!COMMANDS.some(([re]) => re.test(text))) {
    throw new Error(`${where}: unknown command "${text}"; one of: ${COMMANDS.map(([, s]) => s).join(' | ')}`);
  }
}

export function parseTimeline(text: string, file: string): Timeline {
  const timed: TimedEntry[] = [];
  const triggers: Trigger[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (!words.length) return;
    const where = `${file}:${line}`;
    if (words[0] === 'on') {
      const [, event, what, ...command] = words;
      if (!EVENTS.has(event) || !what) throw new Error(`${where}: "on" takes one of ${[...EVENTS].join(', ')}, then what, then a command`);
      checkCommand(command, where);
      triggers.push({ event: event as Trigger['event'], what, words: command, line, fired: false });
      return;
    }
    const at = Number(words[0]);
    if (!Number.isFinite(at)) throw new Error(`${where}: a line starts with a time in seconds or "on"`);
    checkCommand(words.slice(1), where);
    timed.push({ at: at * 1000, words: words.slice(1), line });
  });
  timed.sort((a, b) => a.at - b.at || a.line - b.line);
  return { timed, triggers };
}

/** The first trigger not yet fired that this event matches (it is marked fired). */
export function takeTrigger(timeline: Timeline, event: Trigger['event'], what: string): Trigger | undefined {
  const t = timeline.triggers.find((x) => !x.fired && x.event === event && x.what === what);
  if (t) t.fired = true;
  return t;
}
