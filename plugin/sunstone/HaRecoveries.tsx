// High Availability → Recoveries: every recovery the runner journaled, and
// the selected one live (refreshed every 2 s while it runs): its steps with
// durations, the fencing evidence and attempts, each VM's outcome, a reason
// for every VM not recovered (each VM's place and time to running, live, or
// why it is stuck in oned's words), and, for a held or fence-failed one,
// Release and confirm-down (behind the host's name, typed).
import React, { useCallback, useEffect, useState } from 'react';
import {
  Alert, AlertTitle, Box, Button, Card, CardContent, CardHeader, Dialog, DialogActions, DialogContent, DialogContentText,
  DialogTitle, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, TextField, Typography,
} from '@mui/material';
import { StatusTag } from '@ComponentsModule';
import type { RecoveryDetail, RecoverySummary } from '../src/api';
import {
  confirmDownPhrase, confirmDownTyped, fenceVerdict, outcomeVerdict, recoveryVerdict, STEP_LABEL, stepVerdict, visibleSteps, vmRows, waitsForOperator,
} from '../../model/recoveryDisplay';
import { duration, fullTime, when } from '../../model/timeFormat';
import { hostPageLink } from './HaHosts';
import { useT } from './i18n';
import { runner, unreachableAdvice, type RunnerLink } from './runner';
import { useUrlParam } from './urlState';

const ACTIVE = new Set(['received', 'running', 'held', 'fence-failed']);
const hostLabel = (d: RecoveryDetail) => d.hostName ?? (d.hostId === undefined ? '' : `#${d.hostId}`);

export function HaRecoveries(): React.ReactElement {
  const t = useT();
  const [link, setLink] = useState<RunnerLink>();
  const [list, setList] = useState<RecoverySummary[]>();
  // In the URL (?recovery=ID): Back from FireEdge's host page reopens this recovery here.
  const [selected, setSelected] = useUrlParam('recovery');
  const [detail, setDetail] = useState<RecoveryDetail>();
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const [confirming, setConfirming] = useState<RecoveryDetail>();

  const load = useCallback(async () => {
    try {
      const l = await runner();
      setLink(l);
      const { recoveries } = await l.api.recoveries();
      setList(recoveries);
      setError(undefined);
      const id = selected ?? recoveries[0]?.id;
      if (id) setDetail(await l.api.recovery(id));
    } catch (e) {
      setError(unreachableAdvice(e));
    }
  }, [selected]);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [load]);

  const release = async (d: RecoveryDetail) => {
    if (!link) return;
    const what = d.status === 'fence-failed'
      ? t('oneha will try to fence the host again and, once it is verified off, recover its VMs.')
      : t('oneha will go on with the recovery: fence the host, then recover its VMs.');
    if (!window.confirm(`${t('Release recovery')} ${d.id}? ${what}`)) return;
    try {
      await link.api.release(d.id);
      setNote(`${t('Released')} ${d.id}`);
      await load();
    } catch (e) {
      setNote((e as Error).message);
    }
  };

  const confirmDown = async (d: RecoveryDetail, reason: string) => {
    if (!link) return;
    setConfirming(undefined);
    try {
      await link.api.confirmDown(d.id, reason);
      setNote(`${hostLabel(d)} ${t('confirmed down')}: ${t('the recovery goes on')} (${d.id})`);
      await load();
    } catch (e) {
      setNote(`${t('Not confirmed')}: ${(e as Error).message}`);
    }
  };

  return (
    <Box data-cy="oneha-recoveries" sx={{ p: 1 }}>
      <Typography variant="h5" sx={{ mb: 2 }}>{t('High Availability')}: {t('Recoveries')}</Typography>
      {error && <Alert severity="warning" data-cy="oneha-runner-unreachable" sx={{ mb: 2 }}>{error}</Alert>}
      {list && list.length === 0 && <Alert severity="info">{t('No recovery yet: when a host fails, its recovery shows here live.')}</Alert>}
      {list && list.length > 0 && (
        <TableContainer component={Card}>
          <Table size="small">
            <TableHead>
              <TableRow>{['Recovery', 'Host', 'State', 'Step', 'Received', 'VMs recovered', 'Failed', 'Skipped'].map((c) => <TableCell key={c}>{t(c)}</TableCell>)}</TableRow>
            </TableHead>
            <TableBody>
              {list.map((r) => (
                <TableRow key={r.id} hover selected={(selected ?? list[0].id) === r.id} sx={{ cursor: 'pointer' }}
                  data-cy={`oneha-recovery-${r.id}`} onClick={() => setSelected(r.id)}>
                  <TableCell>{r.id}</TableCell>
                  <TableCell>{r.hostId === undefined ? '—' : (
                    <a {...hostPageLink(String(r.hostId))} data-cy="oneha-recovery-host-link" title={t('Open the host in Sunstone (Back returns here)')}
                      onClick={(e: React.MouseEvent) => { e.stopPropagation(); setSelected(r.id); hostPageLink(String(r.hostId)).onClick(e); }}>
                      {r.hostName ?? `#${r.hostId}`}
                    </a>
                  )}</TableCell>
                  <TableCell><StatusTag title={recoveryVerdict(r).text} statusColor={recoveryVerdict(r).kind} /></TableCell>
                  <TableCell>{r.currentStep ? t(STEP_LABEL[r.currentStep] ?? r.currentStep) : '—'}</TableCell>
                  <TableCell>{when(r.receivedAt)}</TableCell>
                  <TableCell>{r.counts.recovered}</TableCell>
                  <TableCell>{r.counts.failed}</TableCell>
                  <TableCell>{r.counts.skipped}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      {note && <Typography variant="body2" sx={{ mt: 2 }} data-cy="oneha-note">{note}</Typography>}
      {detail && <Detail d={detail} canRelease={!!link?.session.admin} onRelease={() => void release(detail)} onConfirmDown={() => setConfirming(detail)} />}
      {confirming && <ConfirmDown d={confirming} onCancel={() => setConfirming(undefined)} onConfirm={(reason) => void confirmDown(confirming, reason)} />}
    </Box>
  );
}

/** A dead BMC: the operator says how they know the host is off and types its name; the runner journals who, why and when. */
function ConfirmDown({ d, onCancel, onConfirm }: { d: RecoveryDetail; onCancel: () => void; onConfirm: (reason: string) => void }): React.ReactElement {
  const t = useT();
  const [reason, setReason] = useState('');
  const [typed, setTyped] = useState('');
  const ready = confirmDownTyped(d, typed) && reason.trim() !== '';
  return (
    <Dialog open onClose={onCancel} data-cy="oneha-confirm-down-dialog" maxWidth="sm" fullWidth>
      <DialogTitle>{`${t('Confirm host is down')}: ${hostLabel(d)}`}</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ mb: 2 }}>
          {t('oneha will recover this host\'s VMs without fencing it. If the host is in fact still running, its VMs will run twice and their disks may be corrupted.')}
        </DialogContentText>
        <TextField fullWidth multiline minRows={2} sx={{ mb: 2 }} label={t('How do you know it is off?')} value={reason}
          placeholder="power cables pulled, checked on site" onChange={(e: React.ChangeEvent<HTMLInputElement>) => setReason(e.target.value)}
          inputProps={{ maxLength: 500, 'data-cy': 'oneha-confirm-down-reason' }} />
        <TextField fullWidth label={`${t('Type the host name to confirm')}: ${confirmDownPhrase(d)}`} value={typed} autoComplete="off"
          onChange={(e: React.ChangeEvent<HTMLInputElement>) => setTyped(e.target.value)} inputProps={{ 'data-cy': 'oneha-confirm-down-name' }} />
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel}>{t('Cancel')}</Button>
        <Button color="error" variant="contained" disabled={!ready} onClick={() => onConfirm(reason.trim())} data-cy="oneha-confirm-down-submit">
          {t('Confirm down and recover')}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function Detail({ d, canRelease, onRelease, onConfirmDown }: { d: RecoveryDetail; canRelease: boolean; onRelease: () => void; onConfirmDown: () => void }): React.ReactElement {
  const t = useT();
  return (
    <Card sx={{ mt: 2 }} data-cy="oneha-recovery-detail" data-status={d.status} data-id={d.id}>
      <CardHeader title={`${t('Recovery')} ${d.id}: ${d.hostName ?? ''}`}
        subheader={`${d.status}${ACTIVE.has(d.status) ? ` · ${t('live')}` : ''} · ${t('received')} ${fullTime(d.receivedAt)}`} />
      <CardContent>
        {waitsForOperator(d.status) && (
          <Alert severity={d.status === 'held' ? 'warning' : 'error'} sx={{ mb: 2 }} data-cy="oneha-operator"
            action={(
              <Stack direction="row" gap={1}>
                <Button color="inherit" disabled={!canRelease} onClick={onRelease} data-cy="oneha-release">{t('Release')}</Button>
                <Button color="inherit" disabled={!canRelease} onClick={onConfirmDown} data-cy="oneha-confirm-down">{t('Confirm host is down')}</Button>
              </Stack>
            )}>
            <AlertTitle>{d.status === 'held' ? t('Held: waiting for an operator') : t('Fencing failed')}</AlertTitle>
            {d.reason ?? ''} {d.status === 'fence-failed' ? t('Check the BMC credentials and FENCE_IP, run a fence test, then release to retry.') : t('No VM has been touched.')}
            {` ${t('If the BMC is dead and you know the host is off, confirm it is down: its VMs are recovered without fencing.')}`}
            {!canRelease && ` ${t('Only members of the oneadmin group can release or confirm a host down.')}`}
          </Alert>
        )}
        <Typography variant="subtitle1">{t('Steps')}</Typography>
        <Stack sx={{ mb: 2 }} data-cy="oneha-steps">
          {visibleSteps(d.steps, d.trigger).map((s) => (
            <Stack direction="row" gap={2} key={`${s.name}-${s.startedAt}`} alignItems="center">
              <StatusTag title={stepVerdict(s).text} statusColor={stepVerdict(s).kind} />
              <Typography variant="body2">{t(STEP_LABEL[s.name] ?? s.name)}</Typography>
              <Typography variant="body2" color="text.secondary">{duration(s.durationMs)}</Typography>
              {s.error && <Typography variant="body2" color="error">{s.error.message}</Typography>}
            </Stack>
          ))}
        </Stack>
        {d.fence && (
          <>
            <Typography variant="subtitle1">{t('Fencing')}</Typography>
            <Typography variant="body2" sx={{ mb: 2 }} data-cy="oneha-fence-evidence">
              <StatusTag title={fenceVerdict(d.fence).text} statusColor={fenceVerdict(d.fence).kind} />
              {fenceVerdict(d.fence).note ? ` ${fenceVerdict(d.fence).note}` : ''}
              {d.fence.method ? ` · ${d.fence.method}` : ''}{d.fence.evidence ? ` · ${d.fence.evidence}` : ''}{d.fence.reason ? ` · ${d.fence.reason}` : ''}
              {` · ${d.fence.attempts.length} ${t('attempts')}`}
            </Typography>
          </>
        )}
        <Typography variant="subtitle1">{t('VMs')}</Typography>
        <Table size="small" data-cy="oneha-vms">
          <TableHead><TableRow>{['VM', 'State', 'Operation', 'Outcome', 'Verified', 'Runs on', 'Time to running', 'Detail', 'Tries'].map((c) => <TableCell key={c}>{t(c)}</TableCell>)}</TableRow></TableHead>
          <TableBody>
            {vmRows(d).map((v) => (
              <TableRow key={v.id} data-cy={`oneha-vm-${v.id}`}>
                <TableCell>{`${v.name} (#${v.id})`}</TableCell>
                <TableCell>{v.state}</TableCell>
                <TableCell>{v.op}</TableCell>
                <TableCell><StatusTag title={v.outcome} statusColor={outcomeVerdict(v.outcome)} /></TableCell>
                <TableCell data-cy="oneha-vm-check">{v.check === '—' ? '—' : <StatusTag title={v.check} statusColor={outcomeVerdict(v.check)} />}</TableCell>
                <TableCell data-cy="oneha-vm-runs-on">{v.runsOn}</TableCell>
                <TableCell data-cy="oneha-vm-to-running">{v.toRunning}</TableCell>
                <TableCell>{v.detail}</TableCell>
                <TableCell>{v.tries}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}
