// ONEHA_FENCE_SECRET_REF: which secret-store entry holds a level's credentials.
export const SECRET_REF = /^(default|host:\d+|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/;
export const SECRET_REF_HINT = 'a secret ref is "default", "host:<id>" or a name of letters, digits, _ . -';

export const isSecretRef = (s: string): boolean => SECRET_REF.test(s);

/** The secret-store entry of a host's own credentials. */
export const hostRef = (hostId: number): string => `host:${hostId}`;
