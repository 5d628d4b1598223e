/** Pieces every screen shares: permission checks, the "route not offered yet" empty state, a
 * confirm-with-a-reason dialog for order and stock actions, and JSON at a glance. */
import { useRef, useState, type ReactNode } from "react";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Typography from "@mui/material/Typography";
import {
  Button,
  Datagrid,
  Form,
  List,
  SaveButton,
  useNotify,
  usePermissions,
  useRefresh,
  useResourceContext,
  type Validator,
} from "react-admin";
import { allowed } from "./screens";
import { unavailable } from "./dataProvider";

/** Does the signed-in staff member hold the permission for a screen or an action? */
export function useAllowed(what: string): boolean {
  const { permissions } = usePermissions<string[]>();
  return allowed(permissions, what);
}

/** A list's empty state: nothing yet, or the server does not offer this screen's route yet. */
export function Empty({ children }: { children?: ReactNode }) {
  const resource = useResourceContext() ?? "";
  const missing = unavailable.get(resource);
  return (
    <Box sx={{ p: 3 }} data-testid="empty">
      {missing ? (
        <Alert severity="info" data-testid="route-unavailable">
          {missing} This screen fills in once the platform has it.
        </Alert>
      ) : (
        <Typography color="text.secondary">{children ?? "Nothing here yet."}</Typography>
      )}
    </Box>
  );
}

export interface ResourceListProps {
  /** The filter inputs; each `source` must be a query parameter the list route declares (screens.json). */
  filters?: ReactNode[];
  /** What an empty page says ("No order matches."). */
  empty?: ReactNode;
  rowClick?: "show" | "edit";
  perPage?: number;
  /** false: the route answers everything at once (no cursor). */
  paged?: boolean;
  /** Shown under a row when it is expanded. */
  expand?: ReactNode;
  /** The columns. */
  children: ReactNode;
}

/** The shape every screen's list shares: keyset pages through the data provider, no export, no bulk
 * actions, the filters above, and an empty state that says when the server lacks the route. */
export function ResourceList({ filters, empty, rowClick, perPage = 25, paged = true, expand, children }: ResourceListProps) {
  return (
    <List exporter={false} filters={filters as never} perPage={perPage} empty={false} pagination={paged ? undefined : false}>
      <Datagrid rowClick={rowClick} bulkActionButtons={false} empty={<Empty>{empty}</Empty>} expand={expand as never}>
        {children}
      </Datagrid>
    </List>
  );
}

/** A record read through a route the server does not offer yet: say so, keep the actions. */
export function Unavailable({ record }: { record?: Record<string, unknown> }) {
  const message = record?._unavailable;
  return typeof message === "string" ? (
    <Alert severity="info" sx={{ mb: 2 }} data-testid="route-unavailable">
      {message} The details show up once the platform offers it; the actions below still work.
    </Alert>
  ) : null;
}

export function Json({ value }: { value: unknown }) {
  if (value === undefined || value === null) return null;
  return (
    <Box component="pre" sx={{ m: 0, fontSize: 12, whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
      {JSON.stringify(value, null, 2)}
    </Box>
  );
}

export interface ActionDialogProps {
  /** Button label, e.g. "Cancel order". */
  label: string;
  title: string;
  icon?: ReactNode;
  color?: "primary" | "error" | "warning" | "success" | "inherit";
  /** The form's fields; none for a plain confirmation. */
  children?: ReactNode;
  defaultValues?: Record<string, unknown>;
  /** Runs the action; resolves with the success message. `key` is an Idempotency-Key: the same while
   * the same values are sent again (a retry after a timeout applies once), a new one for new values. */
  run: (values: Record<string, unknown>, key: string) => Promise<string>;
  testId?: string;
}

/** A button that opens a dialog (a confirmation, or a small validated form), runs the action, says
 * how it went (the server's problem+json message when it refuses) and refreshes the page. */
export function ActionDialog({ label, title, icon, color, children, defaultValues, run, testId }: ActionDialogProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const attempt = useRef<{ values: string; key: string } | null>(null);
  const notify = useNotify();
  const refresh = useRefresh();
  const submit = async (values: Record<string, unknown>) => {
    const sent = JSON.stringify(values);
    if (attempt.current?.values !== sent) attempt.current = { values: sent, key: newKey() };
    setBusy(true);
    try {
      notify(await run(values, attempt.current.key), { type: "success" });
      setOpen(false);
      refresh();
    } catch (error) {
      notify(error instanceof Error ? error.message : String(error), { type: "error" });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button
        label={label}
        onClick={() => {
          attempt.current = null;
          setOpen(true);
        }}
        color={color}
        data-testid={testId}
      >
        <>{icon}</>
      </Button>
      <Dialog open={open} onClose={() => !busy && setOpen(false)} fullWidth maxWidth="sm">
        <Form onSubmit={submit} defaultValues={defaultValues} mode="onSubmit">
          <DialogTitle>{title}</DialogTitle>
          <DialogContent>{children}</DialogContent>
          <DialogActions>
            <Button label="Back" onClick={() => setOpen(false)} disabled={busy} />
            <SaveButton label="Confirm" icon={<></>} alwaysEnable={!busy} disabled={busy} />
          </DialogActions>
        </Form>
      </Dialog>
    </>
  );
}

/** An Idempotency-Key (8-128 of A-Z a-z 0-9 _ . : -). */
export function newKey(): string {
  return `admin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export type { Validator };
