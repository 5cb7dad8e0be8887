// Readiness on the HA hosts page: the reserve warning above the list, and one
// host's panel (its score, each part with what was seen and, when it fails,
// its fix). Texts and colours from model/readinessDisplay.ts, as on the
// runner's own page and in the CLI.
import React, { useEffect, useState } from 'react';
import { Alert, AlertTitle, Box, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { StatusTag } from '@ComponentsModule';
import type { ClusterReserve } from '../../model/capacity';
import { partVerdict, RESERVE_ADVICE, reserveWarnings, SCORE_HINT, scoreText, scoreVerdict } from '../../model/readinessDisplay';
import type { HostReadinessAnswer } from '../src/api';
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

/** One host's readiness, asked when shown and again whenever `refresh` changes (after a save or a fence test). */
export function ReadinessPanel({ link, hostId, refresh }: { link: RunnerLink | undefined; hostId: number; refresh: unknown }): React.ReactElement {
  const t = useT();
  const [r, setR] = useState<HostReadinessAnswer>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!link) return;
    let live = true;
    link.api.hostReadiness(hostId).then((x) => live && (setR(x), setError(undefined)), (e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [link, hostId, refresh]);

  if (error) return <Alert severity="error" sx={{ mt: 2 }} data-cy="oneha-readiness-error">{`${t('Readiness could not be read')}: ${error}`}</Alert>;
  if (!r) return <Typography variant="body2" sx={{ mt: 2 }}>{link ? t('Asking the runner…') : '—'}</Typography>;
  const warn = r.cluster ? reserveWarnings([r.cluster]) : [];
  return (
    <Box sx={{ mt: 3 }} data-cy="oneha-readiness-panel" data-score={r.score ?? ''}>
      <Typography variant="subtitle2" component="div" sx={{ display: 'flex', gap: 1, alignItems: 'center' }}>
        {t('Readiness')} <span data-cy="oneha-readiness-score"><StatusTag title={scoreText(r.score)} statusColor={scoreVerdict(r.score)} /></span>
      </Typography>
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
