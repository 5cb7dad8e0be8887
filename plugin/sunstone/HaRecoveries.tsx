// High Availability → Recoveries: every recovery the runner journaled, and
// the selected one live (refreshed every 2 s while it runs): its steps with
// durations, the fencing evidence and attempts, each VM's outcome, a reason
// for every VM not recovered, and Release for a held or fence-failed one.
import React, { useCallback, useEffect, useState } from 'react';
import {
  Alert, AlertTitle, Box, Button, Card, CardContent, CardHeader, Stack, Table, TableBody, TableCell, TableContainer,
  TableHead, TableRow, Typography,
} from '@mui/material';
import { StatusTag } from '@ComponentsModule';
import type { RecoveryDetail, RecoverySummary } from '../src/api';
import { fenceVerdict, outcomeVerdict, recoveryVerdict, STEP_LABEL, stepVerdict, visibleSteps, vmRows } from '../../model/recoveryDisplay';
import { duration, fullTime, when } from '../../model/timeFormat';
import { hostPageLink } from './HaHosts';
import { useT } from './i18n';
import { runner, unreachableAdvice, type RunnerLink } from './runner';

const ACTIVE = new Set(['received', 'running', 'held', 'fence-failed']);

export function HaRecoveries(): React.ReactElement {
  const t = useT();
  const [link, setLink] = useState<RunnerLink>();
  const [list, setList] = useState<RecoverySummary[]>();
  const [selected, setSelected] = useState<string>();
  const [detail, setDetail] = useState<RecoveryDetail>();
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();

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
                  <TableCell>{r.hostId === undefined ? '—' : <a {...hostPageLink(String(r.hostId))}>{r.hostName ?? `#${r.hostId}`}</a>}</TableCell>
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
      {note && <Typography variant="body2" sx={{ mt: 2 }}>{note}</Typography>}
      {detail && <Detail d={detail} canRelease={!!link?.session.admin} onRelease={() => void release(detail)} />}
    </Box>
  );
}

function Detail({ d, canRelease, onRelease }: { d: RecoveryDetail; canRelease: boolean; onRelease: () => void }): React.ReactElement {
  const t = useT();
  return (
    <Card sx={{ mt: 2 }} data-cy="oneha-recovery-detail" data-status={d.status}>
      <CardHeader title={`${t('Recovery')} ${d.id}: ${d.hostName ?? ''}`}
        subheader={`${d.status}${ACTIVE.has(d.status) ? ` · ${t('live')}` : ''} · ${t('received')} ${fullTime(d.receivedAt)}`} />
      <CardContent>
        {(d.status === 'held' || d.status === 'fence-failed') && (
          <Alert severity="warning" sx={{ mb: 2 }} data-cy="oneha-operator"
            action={<Button color="inherit" disabled={!canRelease} onClick={onRelease} data-cy="oneha-release">{t('Release')}</Button>}>
            <AlertTitle>{d.status === 'held' ? t('Held: waiting for an operator') : t('Fencing failed')}</AlertTitle>
            {d.reason ?? ''} {d.status === 'fence-failed' ? t('Check the BMC credentials and FENCE_IP, run a fence test, then release to retry.') : t('No VM has been touched.')}
            {!canRelease && ` ${t('Only members of the oneadmin group can release.')}`}
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
          <TableHead><TableRow>{['VM', 'State', 'Operation', 'Outcome', 'Detail', 'Tries'].map((c) => <TableCell key={c}>{t(c)}</TableCell>)}</TableRow></TableHead>
          <TableBody>
            {vmRows(d).map((v) => (
              <TableRow key={v.id}>
                <TableCell>{`${v.name} (#${v.id})`}</TableCell>
                <TableCell>{v.state}</TableCell>
                <TableCell>{v.op}</TableCell>
                <TableCell><StatusTag title={v.outcome} statusColor={outcomeVerdict(v.outcome)} /></TableCell>
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
