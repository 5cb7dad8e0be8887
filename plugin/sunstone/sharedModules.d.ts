// What the pages use of FireEdge's shared packages and remote modules. They
// are provided at run time by FireEdge (container.mjs), never bundled; these
// declarations type only the few members used.
declare module '@mui/material' {
  import type { ComponentType } from 'react';
  type C = ComponentType<any>;
  export const Alert: C, AlertTitle: C, Box: C, Button: C, Card: C, CardContent: C, CardHeader: C, Chip: C, CircularProgress: C,
    FormControlLabel: C, Grid: C, Link: C, MenuItem: C, Paper: C, Stack: C, Switch: C, Table: C, TableBody: C, TableCell: C,
    TableContainer: C, TableHead: C, TableRow: C, TextField: C, Tooltip: C, Typography: C, Divider: C,
    Dialog: C, DialogActions: C, DialogContent: C, DialogContentText: C, DialogTitle: C;
}
declare module '@ProvidersModule' {
  export function useTranslation(): { translate: (word: string, values?: unknown) => string };
}
declare module '@ConstantsModule' {
  export const T: Record<string, string>;
}
declare module '@ComponentsModule' {
  import type { ComponentType } from 'react';
  export const StatusTag: ComponentType<{ title?: string; statusName?: string; statusColor?: string; isBadged?: boolean }>;
  export const SubmitButton: ComponentType<any>;
}
declare module '@ModelsModule' {
  export function getHostState(host: { STATE?: string | number }): { name: string; color: string; meaning?: string };
}
/** The URL of the container's remoteEntry.js, as the browser loaded it. */
declare module 'oneha:entry' {
  export const url: string;
}
