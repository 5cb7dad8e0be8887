// Readiness on the HA hosts page: the reserve warning above the list, one
// host's panel (its score, each part with what was seen and, when it fails,
// its fix), and "What if it died now" (its last rehearsal, and Rehearse). Texts and colours from model/readinessDisplay.ts, as on the
// runner's own page and in the CLI.
import React, { useEffect, useRef, useState } from 'react';
import { Alert, AlertTitle, Box, Button, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { StatusTag } from '@ComponentsModule';
import type { ClusterReserve } from '../../model/capacity';
import { mttrText, partVerdict, readyText, RESERVE_ADVICE, reserveWarnings, SCORE_HINT, scoreText, scoreVerdict, wouldText } from '../../model/readinessDisplay';
import { recoveryVerdict } from '../../model/recoveryDisplay';
import { ago, fullTime } from '../../model/timeFormat';
import type { HostReadinessAnswer, RehearsalReport } from '../src/api';
import { useT } from './i18n';
import type { RunnerLink } from './runner';

/** Shown when any cluster's N+1 reserve is gone (from the list's one GET /v1/readiness). */
export function ReserveWarning({ clusters }: { clusters: readonly ClusterReserve[] | undefined }): React.ReactElement | null {
  const t = useT();
  const gone = reserveWarnings(clusters ?? []);
  if (!gone.length) return null;
  return (
    <Alert severity="warning" sx={{ mb: 2 }} data-cy="oneha-reserve-warning">
      <AlertTitle>{t('Capacity reserve gone')}</AlertTitle>
      {gone.map((w) => <Typography key={w.clusterId} variant="body2" data-cluster={w.clusterId}>{w.text}</Typography>)}
      <Typography variant="body2">
        {t(RESERVE_ADVICE)}
      </Typography>
    </Alert>
  );
}

/**
 * One host's readiness: the runner's last computation when shown; a fresh one
 * when `refresh` changes (after a save, a fence test, new credentials) or on
 * "Recompute now".
 */
export function ReadinessPanel({ link, hostId, refresh }: { link: RunnerLink | undefined; hostId: number; refresh: unknown }): React.ReactElement {
  const t = useT();
  const [r, setR] = useState<HostReadinessAnswer>();
  const [error, setError] = useState<string>();
  const [asked, setAsked] = useState(0);
  const loads = useRef(0);
  useEffect(() => {
    if (!link) return;
    let live = true;
    const fresh = loads.current++ > 0;
    link.api.hostReadiness(hostId, fresh).then((x) => live && (setR(x), setError(undefined)), (e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [link, hostId, refresh, asked]);

  if (error) return <Alert severity="error" sx={{ mt: 2 }} data-cy="oneha-readiness-error">{`${t('Readiness could not be read')}: ${error}`}</Alert>;
  if (!r) return <Typography variant="body2" sx={{ mt: 2 }}>{link ? t('Asking the runner…') : '—'}</Typography>;
  const warn = r.cluster ? reserveWarnings([r.cluster]) : [];
  return (
    <Box sx={{ mt: 3 }} data-cy="oneha-readiness-panel" data-score={r.score ?? ''}>
      <Stack direction="row" gap={1} alignItems="center">
        <Typography variant="subtitle2">{t('Readiness')}</Typography>
        <span data-cy="oneha-readiness-score"><StatusTag title={scoreText(r.score)} statusColor={scoreVerdict(r.score)} /></span>
        <Typography variant="caption" color="text.secondary" data-cy="oneha-readiness-at">{`${t('computed')} ${fullTime(r.at)} (${ago(r.at)})`}</Typography>
        <Button size="small" onClick={() => setAsked((n) => n + 1)} data-cy="oneha-readiness-refresh">{t('Recompute now')}</Button>
      </Stack>
      {r.error && <Alert severity="warning" sx={{ mt: 1 }}>{`${t('The last computation failed')} (${fullTime(r.error.at)}: ${r.error.message}): ${t('this one is older.')}`}</Alert>}
      {warn.map((w) => <Alert key={w.clusterId} severity="warning" sx={{ mt: 1 }} data-cy="oneha-readiness-reserve">{w.text}</Alert>)}
      <Table size="small" sx={{ mt: 1 }}>
        <TableHead>
          <TableRow>{['Part', 'Result', 'Weight', 'Seen', 'Fix'].map((c) => <TableCell key={c}>{t(c)}</TableCell>)}</TableRow>
        </TableHead>
        <TableBody>
          {r.parts.map((p) => {
            const v = partVerdict(p.ok);
            return (
              <TableRow key={p.key} data-cy={`oneha-part-${p.key}`}>
                <TableCell>{t(p.label)}</TableCell>
                <TableCell data-cy="oneha-part-result"><StatusTag title={v.text} statusColor={v.kind} /></TableCell>
                <TableCell>{p.weight}</TableCell>
                <TableCell>{p.detail}</TableCell>
                <TableCell data-cy="oneha-part-fix">{p.fix ?? ''}</TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
      <Typography variant="caption" color="text.secondary">
        {t(SCORE_HINT)}
      </Typography>
    </Box>
  );
}

/** The host's last rehearsal and a Rehearse button (admins): the whole chain as a dry run, nothing touched. */
export function RehearsalPanel({ link, hostId }: { link: RunnerLink | undefined; hostId: number }): React.ReactElement {
  const t = useT();
  const [r, setR] = useState<RehearsalReport | null>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!link) return;
    let live = true;
    link.api.lastRehearsal(hostId).then((x) => live && setR(x ?? null), (e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [link, hostId]);

  const run = async () => {
    if (!link) return;
    setBusy(true);
    setError(undefined);
    try {
      setR(await link.api.rehearse(hostId));
    } catch (e) {
      setError(`${t('The rehearsal could not run')}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box sx={{ mt: 3 }} data-cy="oneha-rehearsal">
      <Stack direction="row" gap={2} alignItems="center">
        <Typography variant="subtitle2">{t('What if it died now')}</Typography>
        <Button variant="outlined" disabled={!link?.session.admin || busy} onClick={() => void run()} data-cy="oneha-rehearse">
          {busy ? t('Rehearsing…') : t('Rehearse')}
        </Button>
      </Stack>
      <Typography variant="caption" color="text.secondary">
        {t('The whole recovery chain as a dry run: the wait, a status-only test of each fence level, the plan tier by tier, the VMs left down, a predicted MTTR. Nothing is touched.')}
      </Typography>
      {error && <Alert severity="error" sx={{ mt: 1 }} data-cy="oneha-rehearsal-error">{error}</Alert>}
      {r === null && <Typography variant="body2" sx={{ mt: 1 }}>{t('Never rehearsed.')}</Typography>}
      {r && <RehearsalReportView r={r} />}
    </Box>
  );
}

function RehearsalReportView({ r }: { r: RehearsalReport }): React.ReactElement {
  const t = useT();
  const v = recoveryVerdict({ status: r.outcome });
  return (
    <Box sx={{ mt: 1 }} data-cy="oneha-rehearsal-report">
      <Typography variant="body2" component="div" data-cy="oneha-rehearsal-outcome" sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
        {t('A failure now would end')} <StatusTag title={v.text} statusColor={v.kind} /> {r.reason}
      </Typography>
      <Typography variant="body2" data-cy="oneha-rehearsal-mttr">
        {`${t('Predicted MTTR')}: ${r.mttr ? mttrText(r.mttr) : t('none: the VMs would not be recovered')}`}
      </Typography>
      {r.fence && r.fence.levels.map((l) => <Typography key={l.level} variant="body2">{`${t('Fence level')} ${l.level}: ${l.method}: ${l.result}`}</Typography>)}
      <Typography variant="caption" color="text.secondary">{`${t('Rehearsed')} ${fullTime(r.at)} (${r.trigger})`}</Typography>
      {r.plan && (
        <Table size="small" sx={{ mt: 1 }} data-cy="oneha-rehearsal-plan">
          <TableHead><TableRow>{['Tier', 'Ready when', 'VM', 'Action', 'Would', 'Start'].map((c) => <TableCell key={c}>{t(c)}</TableCell>)}</TableRow></TableHead>
          <TableBody>
            {r.plan.actions.map((a) => (
              <TableRow key={a.vmId} data-cy={`oneha-plan-vm-${a.vmId}`} data-vm={a.vmId}>
                <TableCell>{a.priority ?? 'MEDIUM'}</TableCell>
                <TableCell data-cy="oneha-plan-ready">{readyText(a)}</TableCell>
                <TableCell>{`${a.vmName} (#${a.vmId})`}</TableCell>
                <TableCell>{a.operation}</TableCell>
                <TableCell>{wouldText(a)}</TableCell>
                <TableCell title={a.startSource}>{`${a.startSeconds} s`}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {r.leftDown.length > 0 && (
        <Table size="small" sx={{ mt: 1 }} data-cy="oneha-rehearsal-left-down">
          <TableHead><TableRow>{['Left down', 'By', 'Why'].map((c) => <TableCell key={c}>{t(c)}</TableCell>)}</TableRow></TableHead>
          <TableBody>
            {r.leftDown.map((x) => (
              <TableRow key={`${x.vmId}-${x.by}`} data-cy={`oneha-left-down-${x.vmId}`}>
                <TableCell>{`${x.vmName} (#${x.vmId})`}</TableCell>
                <TableCell>{x.by}</TableCell>
                <TableCell>{x.reason}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}
