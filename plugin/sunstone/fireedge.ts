// FireEdge's own REST API, called as the signed-in Sunstone user (its
// httpOnly FireedgeToken cookie, same origin): every read and write of host
// settings goes through it, so oned decides what this user may change.
// Replies are {id, message, data}; an oned refusal comes back as id 404 (or
// 500) with oned's message in data.
export const API = '/fireedge/api';

export class FireEdgeError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface FeHost {
  ID: string;
  NAME: string;
  STATE: string;
  CLUSTER: string;
  TEMPLATE: Record<string, unknown>;
  HOST_SHARE?: { RUNNING_VMS?: string };
}

export interface FeUser {
  ID: string;
  NAME: string;
  GID: string;
  GROUPS?: { ID: string | string[] };
}

async function call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API + path, {
      method, credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new FireEdgeError(0, 'FireEdge does not answer.');
  }
  const json = (await res.json().catch(() => undefined)) as { id?: number; message?: string; data?: unknown } | undefined;
  if (!res.ok || json?.id !== 200) {
    const data = typeof json?.data === 'string' ? json.data : undefined;
    throw new FireEdgeError(json?.id ?? res.status, data ?? json?.message ?? `FireEdge answered HTTP ${res.status}`);
  }
  return json.data as T;
}

const list = <T>(x: T | T[] | undefined | ''): T[] => (x === undefined || x === '' ? [] : Array.isArray(x) ? x : [x]);

export const fireedge = {
  hosts: async () => list((await call<{ HOST_POOL?: { HOST?: FeHost | FeHost[] } }>('GET', '/hostpool/info')).HOST_POOL?.HOST),
  me: async () => (await call<{ USER: FeUser }>('GET', '/user/info')).USER,
  /** one.user.login for the signed-in user: a short-lived oned token, the runner's proof of who this is. */
  loginToken: (user: string, seconds: number) => call<string>('POST', '/user/login', { user, token: '', expire: seconds, gid: -1 }),
  /** one.host.update in merge mode (FireEdge's body field "replace" carries oned's update type; 1 = merge). */
  updateHost: (id: number, template: string) => call<number>('PUT', `/host/update/${id}`, { template, replace: 1 }),
};

export const groupsOf = (u: FeUser): number[] => [Number(u.GID), ...list(u.GROUPS?.ID).map(Number)];
