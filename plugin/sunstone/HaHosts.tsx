// High Availability → Hosts: every host with its state, HA switch, mode,
// wait, fencing, fence agent and options, FENCE_IP, write-only BMC
// credentials, last fence test and readiness score (one GET /v1/readiness per
// list refresh, asked after the list answered), the reserve warning, and the
// selected host's readiness panel. Settings are read from and
// written to OpenNebula through FireEdge as the signed-in user (oned enforces
// MANAGE); the runner checks a change with the server's own rules first and
// adds what only it knows (inherited defaults, fence tests, credentials).
import React, { useCallback, useEffect, useRef, useState } from 'react';
import {
  Alert, Box, Button, Card, CardContent, CardHeader, Link, MenuItem, Stack, Switch, Table, TableBody, TableCell,
  TableContainer, TableHead, TableRow, TextField, Typography,
} from '@mui/material';
import { StatusTag } from '@ComponentsModule';
import { getHostState } from '@ModelsModule';
import type { FenceTest, HostList, HostSettingsChange, HostView, ReadinessAnswer } from '../src/api';
import { ApiError } from '../src/api';
import { fenceIpProblem } from '../../model/hostPolicy/fenceIp';
import { fenceErrorAdvice, formatOptions, parseOptionsText } from '../src/format';
import { ago, duration } from '../../model/timeFormat';
import { scoreText, scoreVerdict } from '../../model/readinessDisplay';
import { ReadinessPanel, RehearsalPanel, ReserveWarning } from './HaReadiness';
import { fireedge, FireEdgeError, groupsOf, type FeHost } from './fireedge';
import { useT } from './i18n';
import { runner, unreachableAdvice, type RunnerLink } from './runner';
import { useUrlParam } from './urlState';

/** FireEdge's host page for a host, navigated inside the single-page app (a plain link still works). */
export function hostPageLink(id: string): { href: string; onClick: (e: React.MouseEvent) => void } {
  const href = `/fireedge/sunstone/host/${id}`;
  return {
    href,
    onClick: (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      window.history.pushState({}, '', href);
      window.dispatchEvent(new PopStateEvent('popstate', { state: {} }));
    },
  };
}

export function HaHosts(): React.ReactElement {
  const t = useT();
  const [hosts, setHosts] = useState<FeHost[]>();
  const [runnerView, setRunnerView] = useState<HostList>();
  const [readiness, setReadiness] = useState<ReadinessAnswer>();
  const readinessAsked = useRef(false);
  const [link, setLink] = useState<RunnerLink>();
  const [canManage, setCanManage] = useState(false);
  const [error, setError] = useState<string>();
  const [runnerError, setRunnerError] = useState<string>();
  // In the URL (?host=ID): Back from FireEdge's host page reopens this host here.
  const [selected, setSelected] = useUrlParam('host');
  const [busy, setBusy] = useState<string>();
  const [rowError, setRowError] = useState<Record<string, string>>({});

  const load = useCallback(async () => {
    try {
      const [hs, me] = await Promise.all([fireedge.hosts(), fireedge.me()]);
      setHosts(hs);
      setCanManage(groupsOf(me).includes(0));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
    try {
      const l = await runner();
      setLink(l);
      setRunnerView(await l.api.hosts());
      setRunnerError(undefined);
      // Three pool reads on the runner's side: after the list, not awaited (the rows never wait for it), one at a time.
      if (!readinessAsked.current) {
        readinessAsked.current = true;
        void l.api.readiness().then(setReadiness, () => undefined).finally(() => (readinessAsked.current = false));
      }
    } catch (e) {
      setRunnerError(unreachableAdvice(e));
    }
  }, []);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [load]);

  /** Checked by the runner with the server's rules, then written through FireEdge as this user. */
  const save = async (id: string, change: HostSettingsChange): Promise<string | undefined> => {
    setBusy(id);
    try {
      if (!link) throw new Error('the oneha runner is unreachable: it checks settings before they are written');
      const { template } = await link.api.checkSettings(Number(id), change);
      await fireedge.updateHost(Number(id), template);
      setRowError((r) => ({ ...r, [id]: '' }));
      await load();
      return undefined;
    } catch (e) {
      const msg = e instanceof ApiError && e.details?.length
        ? e.details.map((d) => `${String(d.path[0] ?? '')}: ${d.message}`).join('; ')
        : e instanceof FireEdgeError ? `OpenNebula refused: ${e.message}` : (e as Error).message;
      setRowError((r) => ({ ...r, [id]: msg }));
      return msg;
    } finally {
      setBusy(undefined);
    }
  };

  const views = new Map((runnerView?.hosts ?? []).map((v) => [String(v.id), v]));
  const scores = new Map((readiness?.hosts ?? []).map((r) => [String(r.hostId), r]));
  const sel = hosts?.find((h) => h.ID === selected);

  return (
    <Box data-cy="oneha-hosts" data-runner={runnerView ? 'yes' : runnerError ? 'unreachable' : 'pending'} sx={{ p: 1 }}>
      <Typography variant="h5" sx={{ mb: 2 }}>{t('High Availability')}: {t('Hosts')}</Typography>
      {error && <Alert severity="error" sx={{ mb: 2 }}>{error}</Alert>}
      {runnerError && <Alert severity="warning" data-cy="oneha-runner-unreachable" sx={{ mb: 2 }}>{runnerError}</Alert>}
      <ReserveWarning clusters={readiness?.clusters} />
      {!canManage && hosts && (
        <Alert severity="info" data-cy="oneha-read-only" sx={{ mb: 2 }}>
          {t('Read only: changing a host needs MANAGE rights on it (the oneadmin group). OpenNebula refuses other users\' changes.')}
        </Alert>
      )}
      <TableContainer component={Card}>
        <Table size="small">
          <TableHead>
            <TableRow>
              {['ID', 'Name', 'State', 'HA', 'Mode', 'Wait', 'Fencing', 'FENCE_IP', 'Last fence test', 'Readiness'].map((c) => (
                <TableCell key={c}>{t(c)}</TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {(hosts ?? []).map((h) => {
              const v = views.get(h.ID);
              const state = getHostState(h);
              const ready = scores.get(h.ID);
              const haOn = !!v?.ha.value;
              return (
                <TableRow key={h.ID} hover selected={selected === h.ID} data-cy={`oneha-host-${h.ID}`}
                  onClick={() => setSelected(h.ID)} sx={{ cursor: 'pointer' }}>
                  <TableCell>{h.ID}</TableCell>
                  <TableCell><Link {...hostPageLink(h.ID)} data-cy="oneha-host-link" title={t('Open the host in Sunstone (Back returns here)')}
                    onClick={(e: React.MouseEvent) => { e.stopPropagation(); setSelected(h.ID); hostPageLink(h.ID).onClick(e); }}>{h.NAME}</Link></TableCell>
                  <TableCell><StatusTag statusName={state?.name} statusColor={state?.color} /></TableCell>
                  <TableCell onClick={(e: React.MouseEvent) => e.stopPropagation()}>
                    <Switch checked={haOn} disabled={!canManage || !v || busy === h.ID} data-cy="oneha-ha-switch"
                      inputProps={{ 'aria-label': `HA ${h.NAME}` }}
                      onChange={(_: unknown, on: boolean) => void save(h.ID, { ha: on })} />
                  </TableCell>
                  <TableCell>{v ? `${v.mode.value}${v.mode.source === 'default' ? ` (${t('inherited')})` : ''}` : '—'}</TableCell>
                  <TableCell>{v ? v.pause.value : '—'}</TableCell>
                  <TableCell>{v ? (v.fencing.value ? t('Yes') : t('No')) : '—'}</TableCell>
                  <TableCell data-cy="oneha-fence-ip-cell">{v?.fence.ip ?? '—'}</TableCell>
                  <TableCell>{v?.lastFenceTest ? `${v.lastFenceTest.reachable ? `power ${v.lastFenceTest.power ?? '?'}` : t('failed')}, ${ago(v.lastFenceTest.at)}` : t('never')}</TableCell>
                  <TableCell data-cy="oneha-readiness" title={ready?.parts.filter((x) => x.ok === false).map((x) => x.label).join('; ')}>
                    {ready ? <StatusTag title={scoreText(ready.score)} statusColor={scoreVerdict(ready.score)} /> : '—'}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </TableContainer>
      {Object.entries(rowError).filter(([id, m]) => m && id !== selected).map(([id, m]) => (
        <Alert key={id} severity="error" sx={{ mt: 2 }} data-cy="oneha-row-error">{`Host ${id}: ${m}`}</Alert>
      ))}
      {sel && (
        // Keyed on the runner's view arriving too: the form starts from the host's settings, not from empty fields.
        <HostSettings key={`${sel.ID}-${views.has(sel.ID)}`} host={sel} view={views.get(sel.ID)} link={link} canManage={canManage} busy={busy === sel.ID}
          error={rowError[sel.ID]} onSave={(c) => save(sel.ID, c)} onChanged={load} />
      )}
    </Box>
  );
}

function HostSettings(p: {
  host: FeHost; view: HostView | undefined; link: RunnerLink | undefined; canManage: boolean; busy: boolean; error?: string;
  onSave: (c: HostSettingsChange) => Promise<string | undefined>; onChanged: () => Promise<void>;
}): React.ReactElement {
  const t = useT();
  const { host, view } = p;
  const [fenceIp, setFenceIp] = useState(view?.fence.ip ?? '');
  const [mode, setMode] = useState(view?.mode.source === 'host' ? view.mode.value : '');
  const [pause, setPause] = useState(view?.pause.source === 'host' ? String(view.pause.value) : '');
  const [fencing, setFencing] = useState(view?.fencing.source === 'host' ? (view.fencing.value ? 'yes' : 'no') : '');
  const [agent, setAgent] = useState(view?.fence.agent ?? '');
  const [options, setOptions] = useState(view?.fence.options ? formatOptions(view.fence.options) : '');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [test, setTest] = useState<FenceTest>();
  const [note, setNote] = useState<string>();
  // As typed, the syntax rule of the settings body (runner/fence/settings.ts isValidFenceIp); the runner's check adds its loopback rule.
  const ipSyntax = fenceIp.trim() ? fenceIpProblem(fenceIp.trim(), { allowLoopback: true }) : undefined;
  const ipProblem = ipSyntax ? `"${fenceIp.trim()}" ${ipSyntax}.` : undefined;
  const editable = p.canManage && !!view && !p.busy;

  const submit = async () => {
    let opts: Record<string, string> | null = null;
    if (options.trim()) {
      const parsed = parseOptionsText(options);
      if (parsed.error) {
        setNote(parsed.error);
        return;
      }
      opts = parsed.options;
    }
    const err = await p.onSave({
      fenceIp: fenceIp.trim() || null,
      mode: (mode || null) as HostSettingsChange['mode'],
      pause: pause === '' ? null : Number(pause),
      fencing: fencing === '' ? null : fencing === 'yes',
      fenceAgent: agent || null,
      fenceOptions: opts,
    });
    setNote(err ? undefined : t('Saved'));
  };

  const fenceTest = async () => {
    if (!p.link) return;
    setNote(t('Asking the BMC for its power state…'));
    try {
      setTest(await p.link.api.fenceTest(Number(host.ID)));
      setNote(undefined);
      await p.onChanged();
    } catch (e) {
      setNote((e as Error).message);
    }
  };

  const credentials = async (remove: boolean) => {
    if (!p.link) return;
    try {
      if (remove) await p.link.api.deleteCredentials(Number(host.ID));
      else await p.link.api.setCredentials(Number(host.ID), user, password);
      setPassword('');
      setNote(remove ? t('Credentials removed') : t('Credentials saved'));
      await p.onChanged();
    } catch (e) {
      setNote((e as Error).message);
    }
  };

  const creds = view?.credentials.host;
  return (
    <Card sx={{ mt: 2 }} data-cy="oneha-host-settings">
      <CardHeader title={`${host.NAME}: ${t('HA settings')}`}
        subheader={<Link {...hostPageLink(host.ID)} data-cy="oneha-open-host">{t('Open the host in Sunstone')}</Link>} />
      <CardContent>
        <Stack direction="row" flexWrap="wrap" gap={2}>
          <TextField label="FENCE_IP" value={fenceIp} disabled={!editable} data-cy="oneha-fence-ip"
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => setFenceIp(e.target.value)}
            error={!!ipProblem || /fenceIp/.test(p.error ?? '')}
            helperText={ipProblem ?? (/fenceIp/.test(p.error ?? '') ? p.error : ' ')} />
          <TextField select label={t('Mode')} value={mode} disabled={!editable} sx={{ minWidth: 160 }}
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => setMode(e.target.value)}>
            <MenuItem value="">{t('inherit')}{view ? ` (${view.mode.value})` : ''}</MenuItem>
            {['migrate', 'recreate', 'delete'].map((m) => <MenuItem key={m} value={m}>{m}</MenuItem>)}
          </TextField>
          <TextField label={t('Wait (monitoring cycles)')} value={pause} disabled={!editable} type="number"
            placeholder={view ? String(view.pause.value) : ''}
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => setPause(e.target.value)} />
          <TextField select label={t('Fencing')} value={fencing} disabled={!editable} sx={{ minWidth: 160 }}
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => setFencing(e.target.value)}>
            <MenuItem value="">{t('inherit')}</MenuItem>
            <MenuItem value="yes">{t('Yes')}</MenuItem>
            <MenuItem value="no">{t('No')}</MenuItem>
          </TextField>
          <TextField label={t('Fence agent')} value={agent} disabled={!editable} placeholder="fence_ipmilan"
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => setAgent(e.target.value)} />
          <TextField label={t('Agent options')} value={options} disabled={!editable} placeholder="lanplus=1 cipher=3" sx={{ minWidth: 260 }}
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => setOptions(e.target.value)} />
        </Stack>
        <Stack direction="row" gap={2} sx={{ mt: 2 }} alignItems="center">
          <Button variant="contained" disabled={!editable || !!ipProblem} onClick={() => void submit()} data-cy="oneha-save">{t('Save')}</Button>
          <Button variant="outlined" disabled={!p.canManage || !p.link} onClick={() => void fenceTest()} data-cy="oneha-fence-test">{t('Fence test')}</Button>
          {note && <Typography variant="body2" data-cy="oneha-note">{note}</Typography>}
        </Stack>
        {p.error && <Alert severity="error" sx={{ mt: 2 }} data-cy="oneha-save-error">{p.error}</Alert>}
        {test && (
          <Alert severity={test.reachable ? 'success' : 'error'} sx={{ mt: 2 }} data-cy="oneha-fence-result">
            {test.reachable
              ? `${t('BMC reachable')}: power ${test.power ?? '?'} (${test.method}, ${duration(test.durationMs)})`
              : `${test.error ?? t('unreachable')}. ${fenceErrorAdvice(test.error ?? '')}`}
          </Alert>
        )}
        <Typography variant="subtitle2" sx={{ mt: 3 }}>{t('BMC credentials')} ({t('write-only')})</Typography>
        <Typography variant="body2" data-cy="oneha-creds-state">
          {creds ? `${creds.usernameSet ? t('user set') : t('no user')}, ${creds.passwordSet ? t('password set') : t('no password')}` : t('not set on this host')}
        </Typography>
        <Stack direction="row" gap={2} sx={{ mt: 1 }}>
          <TextField label={t('User')} value={user} disabled={!p.canManage || !p.link} autoComplete="off"
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => setUser(e.target.value)} />
          <TextField label={t('Password')} type="password" value={password} disabled={!p.canManage || !p.link} autoComplete="new-password"
            onChange={(e: React.ChangeEvent<HTMLInputElement>) => setPassword(e.target.value)} />
          <Button disabled={!p.canManage || !p.link || !password} onClick={() => void credentials(false)}>{t('Set')}</Button>
          <Button disabled={!p.canManage || !p.link || !creds} onClick={() => void credentials(true)}>{t('Remove')}</Button>
        </Stack>
        {/* Asked again when the host's settings, credentials or last fence test change, not on every 5 s list refresh. */}
        <ReadinessPanel link={p.link} hostId={Number(host.ID)} refresh={view && JSON.stringify(view)} />
        <RehearsalPanel link={p.link} hostId={Number(host.ID)} />
      </CardContent>
    </Card>
  );
}
