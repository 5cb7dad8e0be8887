// Each installed fence agent's own parameter list, from `fence_<agent> -o
// metadata` (about 0.1 s), read once per agent file and kept: the option
// allowlist (model/agentOptions.ts) is decided from it.
import { stat } from 'node:fs/promises';
import { XMLParser } from 'fast-xml-parser';
import { join } from 'node:path';
import { agentOptionsProblem, type AgentMetadata, type AgentParameter, type AgentParameterType } from '../../model/hostPolicy/agentOptions';
import type { FenceMethod } from '../../model/fence';
import { runBounded } from './boundedProcess';

export type MetadataRead = { ok: true; metadata: AgentMetadata } | { ok: false; problem: string };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  processEntities: false,
  isArray: (name) => name === 'parameter' || name === 'option',
});

const TYPES = new Set<AgentParameterType>(['string', 'boolean', 'integer', 'second', 'select']);

type Node = Record<string, unknown>;

/** The <resource-agent> document -> parameters; undefined when it is not one. */
export function parseAgentMetadata(agent: string, xml: string): AgentMetadata | undefined {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch {
    return undefined;
  }
  const ra = doc['resource-agent'] as Node | undefined;
  if (!ra || typeof ra !== 'object') return undefined;
  const params = ((ra.parameters as Node | undefined)?.parameter ?? []) as Node[];
  const parameters: AgentParameter[] = [];
  for (const p of params) {
    const name = typeof p.name === 'string' ? p.name : undefined;
    if (!name) continue;
    const content = (p.content ?? {}) as Node;
    const type = TYPES.has(content.type as AgentParameterType) ? (content.type as AgentParameterType) : 'string';
    const choices = ((content.option ?? []) as Node[]).map((o) => String(o.value ?? '')).filter(Boolean);
    const desc = p.shortdesc;
    const description = typeof desc === 'string' ? desc : typeof desc === 'object' && desc ? String((desc as Node)['#text'] ?? '') : undefined;
    parameters.push({ name, type, ...(type === 'select' ? { choices } : {}), ...(description ? { description } : {}) });
  }
  return { agent, parameters };
}

const cache = new Map<string, { mtimeMs: number; read: Promise<MetadataRead>; settled?: MetadataRead }>();

/** The agent's metadata, read once per version of the agent file. */
export async function agentMetadata(agentPath: string, agent: string): Promise<MetadataRead> {
  let mtimeMs: number;
  try {
    mtimeMs = (await stat(agentPath)).mtimeMs;
  } catch {
    return { ok: false, problem: `${agent} is not installed at ${agentPath}` };
  }
  const hit = cache.get(agentPath);
  if (hit && hit.mtimeMs === mtimeMs) return hit.read;
  const entry: { mtimeMs: number; read: Promise<MetadataRead>; settled?: MetadataRead } = { mtimeMs, read: Promise.resolve({ ok: false, problem: '' }) };
  entry.read = (async (): Promise<MetadataRead> => {
    const r = await runBounded({ file: agentPath, args: ['-o', 'metadata'], stdin: '', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', PYTHONWARNINGS: 'ignore', LANG: 'C.UTF-8' }, timeoutMs: 10_000, maxOutput: 1 << 20 });
    const metadata = r.exitCode === 0 ? parseAgentMetadata(agent, r.stdout) : undefined;
    if (!metadata) {
      cache.delete(agentPath); // try again next time: the agent may be mid-upgrade
      return { ok: false, problem: `cannot read ${agent}'s parameter list (${agent} -o metadata ${r.timedOut ? 'did not answer' : `exited ${r.exitCode ?? r.signal}`}), so none of its options can be checked` };
    }
    entry.settled = { ok: true, metadata };
    return entry.settled;
  })();
  cache.set(agentPath, entry);
  return entry.read;
}

/** Already read (no waiting), for synchronous views; undefined when not read yet. */
export function cachedAgentMetadata(agentPath: string): AgentMetadata | undefined {
  const s = cache.get(agentPath)?.settled;
  return s?.ok ? s.metadata : undefined;
}

/**
 * Why an agent level's options (all but ip, which is FENCE_IP's) may not be
 * passed to its agent, or undefined. Reads the agent's metadata only when
 * there are options to check.
 */
export async function agentLevelProblem(agentDir: string, method: Extract<FenceMethod, { kind: 'agent' }>): Promise<string | undefined> {
  const { ip: _ip, ...own } = method.options;
  if (Object.keys(own).length === 0) return undefined;
  const meta = await agentMetadata(join(agentDir, method.agent), method.agent);
  if (!meta.ok) return meta.problem;
  const problem = agentOptionsProblem(meta.metadata, own, 'method');
  return problem && `option ${problem}`;
}
