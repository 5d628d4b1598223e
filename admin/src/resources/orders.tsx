/** Orders: list with filters and search, detail with timeline, payment, shipment and notes, and
 * the staff actions (approve/reject a flagged order, cancel with a reason, hold/release, note,
 * refund), each shown only to staff whose permissions allow it. */
import Box from "@mui/material/Box";
import Card from "@mui/material/Card";
import CardContent from "@mui/material/CardContent";
import Chip from "@mui/material/Chip";
import Grid from "@mui/material/Grid";
import Typography from "@mui/material/Typography";
import {
  DateInput,
  FunctionField,
  NullableBooleanInput,
  NumberInput,
  SearchInput,
  SelectInput,
  Show,
  TextField,
  TextInput,
  TopToolbar,
  useRecordContext,
  type RaRecord,
} from "react-admin";
import { ActionDialog, Unavailable, useAllowed, ResourceList } from "../common";
import { act } from "../dataProvider";
import { choices, money, ORDER_STATUSES, when } from "../format";
import { refundAmount, validate } from "../validation";

// GET /admin/orders filters (commerce.backoffice_orders): payment_status is one of these.
const PAYMENT_STATUSES = ["pending", "failed", "authorised", "captured", "partially_refunded", "refunded", "voided"];
const FINISHED = new Set(["cancelled", "rejected", "expired", "completed", "delivered", "returned_to_sender"]);

const minor = {
  parse: (value: string) => (value === "" || value === null ? null : Math.round(Number(value) * 100)),
  format: (value: number | null | undefined) => (value === null || value === undefined ? "" : value / 100),
};

const filters = [
  <SearchInput key="q" source="q" alwaysOn placeholder="Order id or email" validate={validate.orderSearch} />,
  <SelectInput key="status" source="status" choices={choices(ORDER_STATUSES)} alwaysOn />,
  <NullableBooleanInput key="flagged" source="flagged" label="Flagged for review" />,
  <DateInput key="created_from" source="created_from" label="Placed from" />,
  <DateInput key="created_to" source="created_to" label="Placed until" />,
  <TextInput key="customer_id" source="customer_id" label="Customer id" />,
  <NumberInput key="min_total" source="min_total" label="Total at least" {...minor} />,
  <NumberInput key="max_total" source="max_total" label="Total at most" {...minor} />,
  <SelectInput key="payment_status" source="payment_status" label="Payment" choices={choices(PAYMENT_STATUSES)} />,
];

function Status({ record }: { record: RaRecord }) {
  const status = String(record.status ?? "");
  const color = status === "in_review" ? "warning" : FINISHED.has(status) ? "default" : "primary";
  return <Chip size="small" label={status.replaceAll("_", " ") || "unknown"} color={color} data-testid="order-status" />;
}

export function OrderList() {
  return (
    <ResourceList filters={filters} rowClick="show" empty="No order matches.">
      <TextField source="order_id" label="Order" />
      <FunctionField label="Placed" render={(r: RaRecord) => when(r.created_at)} />
      <FunctionField label="Status" render={(r: RaRecord) => <Status record={r} />} />
      <FunctionField label="Customer" render={(r: RaRecord) => String(r.contact_email ?? r.email ?? r.customer_id ?? "")} />
      <FunctionField label="Total" render={(r: RaRecord) => money(r.total, r.currency)} />
      <FunctionField label="Payment" render={(r: RaRecord) => String(r.payment_status ?? (r.payment as RaRecord)?.status ?? "")} />
      <FunctionField label="Flagged" render={(r: RaRecord) => (r.flagged || r.status === "in_review" ? "yes" : "")} />
    </ResourceList>
  );
}

function OrderActions() {
  const record = useRecordContext();
  const approve = useAllowed("orders.approve");
  const reject = useAllowed("orders.reject");
  const cancel = useAllowed("orders.cancel");
  const hold = useAllowed("orders.hold");
  const note = useAllowed("orders.notes");
  const refund = useAllowed("orders.refunds");
  const address = useAllowed("orders.shipping_address");
  if (!record) return null;
  const id = record.id;
  const status = record.status as string | undefined;
  const unknown = status === undefined; // detail route not offered yet: offer everything, the server decides
  const inReview = unknown || status === "in_review";
  const open = unknown || !FINISHED.has(status);
  const onHold = record.on_hold === true || record.hold != null;
  const accepted = (verb: string) => (answer: unknown) =>
    `Order ${id} ${verb}${(answer as RaRecord | undefined)?.status ? ` (now ${(answer as RaRecord).status})` : ""}.`;
  return (
    <TopToolbar>
      {approve && inReview && (
        <ActionDialog
          label="Approve"
          title={`Approve order ${id}?`}
          color="success"
          testId="approve"
          run={() => act("orders", id, "approve").then(accepted("approved"))}
        >
          <Typography>The order goes on to fulfilment.</Typography>
        </ActionDialog>
      )}
      {reject && inReview && (
        <ActionDialog
          label="Reject"
          title={`Reject order ${id}`}
          color="error"
          testId="reject"
          run={(v) => act("orders", id, "reject", { reason: v.reason }).then(accepted("rejected"))}
        >
          <TextInput source="reason" label="Reason (recorded in the timeline)" validate={validate.reason} fullWidth multiline />
        </ActionDialog>
      )}
      {cancel && open && (
        <ActionDialog
          label="Cancel order"
          title={`Cancel order ${id}`}
          color="error"
          testId="cancel"
          run={(v) => act("orders", id, "cancel", { reason: v.reason }).then(accepted("cancelled"))}
        >
          <TextInput source="reason" label="Reason (recorded in the timeline)" validate={validate.reason} fullWidth multiline />
        </ActionDialog>
      )}
      {hold && open && (unknown || !onHold) && (
        <ActionDialog
          label="Hold"
          title={`Hold order ${id}`}
          testId="hold"
          run={(v) => act("orders", id, "hold", { reason: v.reason }).then(accepted("held"))}
        >
          <TextInput source="reason" label="Reason" validate={validate.reason} fullWidth multiline />
        </ActionDialog>
      )}
      {hold && (unknown || onHold) && (
        <ActionDialog
          label="Release"
          title={`Release order ${id}`}
          testId="release"
          run={() => act("orders", id, "release").then(accepted("released"))}
        >
          <Typography>The order goes on where it was held.</Typography>
        </ActionDialog>
      )}
      {note && (
        <ActionDialog
          label="Add note"
          title={`A note on order ${id}`}
          testId="note"
          run={(v) => act("orders", id, "notes", { text: v.text }).then(() => "Note added.")}
        >
          <TextInput source="text" label="Note (staff only)" validate={validate.note} fullWidth multiline />
        </ActionDialog>
      )}
      {address && open && (
        <ActionDialog
          label="Shipping address"
          title={`Change the shipping address of order ${id}`}
          testId="shipping-address"
          defaultValues={(record.shipping_address as Record<string, unknown>) ?? {}}
          run={(v) =>
            act("orders", id, "shipping-address", addressOf(v), { method: "PUT" }).then(() => "Shipping address changed.")
          }
        >
          <TextInput source="name" label="Recipient" validate={validate.addressLine} fullWidth />
          <TextInput source="line1" label="Address" validate={validate.addressLine} fullWidth />
          <TextInput source="line2" label="Address (2)" validate={validate.line2} fullWidth />
          <TextInput source="postal_code" validate={validate.postalCode} />
          <TextInput source="city" validate={validate.addressLine} />
          <TextInput source="region" validate={validate.region} />
          <TextInput source="country" label="Country (ISO, e.g. NL)" validate={validate.country} />
          <TextInput source="phone" validate={validate.phone} />
        </ActionDialog>
      )}
      {refund && refundable(record) !== 0 && (
        <ActionDialog
          label="Refund"
          title={`Refund order ${id}`}
          testId="refund"
          run={(v, key) =>
            act<RaRecord>("orders", id, "refunds", { amount: Number(v.amount), reason: v.reason }, { idempotencyKey: key }).then(
              (r) => `Refunded ${money(r.amount, r.currency)} (${String(r.state)}); ${money(r.refundable, r.currency)} left to refund.`,
            )
          }
        >
          <NumberInput
            source="amount"
            label={`Amount in cents (${record.currency ?? "EUR"})`}
            validate={refundAmount(refundable(record))}
            fullWidth
          />
          <TextInput source="reason" label="Reason" validate={validate.reason} fullWidth multiline />
        </ActionDialog>
      )}
    </TopToolbar>
  );
}

const ADDRESS_FIELDS = ["name", "line1", "line2", "city", "postal_code", "region", "country", "phone"];
const addressOf = (values: Record<string, unknown>) =>
  Object.fromEntries(ADDRESS_FIELDS.filter((f) => values[f] !== undefined && values[f] !== null).map((f) => [f, values[f]]));

function Emails({ record }: { record: RaRecord }) {
  const resend = useAllowed("orders.resend_email");
  const emails = (record.emails as RaRecord[] | undefined) ?? [];
  if (!emails.length) return <Typography color="text.secondary">No email sent yet.</Typography>;
  return (
    <>
      {emails.map((email) => (
        <Box key={String(email.event_id)} sx={{ display: "flex", alignItems: "center", gap: 1 }}>
          <Typography variant="body2" sx={{ flex: 1 }}>
            {when(email.sent_at)} {String(email.subject)} to {String(email.recipient)}
            {((email.resends as RaRecord[]) ?? []).length ? ` (resent ${(email.resends as RaRecord[]).length}x)` : ""}
          </Typography>
          {resend && (
            <ActionDialog
              label="Resend"
              title={`Resend "${String(email.subject)}" to ${String(email.recipient)}?`}
              run={() =>
                act("orders", record.id, `emails/${encodeURIComponent(String(email.event_id))}/resend`).then(() => "Email sent again.")
              }
            />
          )}
        </Box>
      ))}
    </>
  );
}

function refundable(record: RaRecord): number | undefined {
  const payment = record.payment as RaRecord | null | undefined;
  const captured = (payment?.captured ?? payment?.amount ?? record.total) as number | undefined;
  const refunded = (payment?.refunded ?? 0) as number;
  return typeof captured === "number" ? captured - refunded : undefined;
}

/** Why a timeline entry happened, when it says: a staff reason, the risk rules that flagged it. */
function because(detail: RaRecord | undefined): string {
  if (!detail) return "";
  const reasons = Array.isArray(detail.reasons) ? (detail.reasons as string[]).join(", ").replaceAll("_", " ") : "";
  const why = [detail.reason, reasons, detail.decline_code].filter(Boolean).join("; ");
  return why ? ` - ${String(why)}` : "";
}

function Payment({ record }: { record: RaRecord }) {
  const payment = record.payment as RaRecord | null | undefined;
  const refunds = (record.refunds as RaRecord[] | undefined) ?? [];
  if (!payment) return <Typography>No payment yet.</Typography>;
  const currency = payment.currency ?? record.currency;
  return (
    <Box data-testid="payment">
      <Typography>
        {String(payment.status ?? record.payment_status ?? "").replaceAll("_", " ")}: {money(payment.amount, currency)}
      </Typography>
      <Typography variant="body2">
        Captured {money(payment.captured ?? 0, currency)}, refunded {money(payment.refunded ?? 0, currency)}
        {payment.decline_code ? `; declined: ${String(payment.decline_code)}` : ""}
      </Typography>
      {refunds.map((r) => (
        <Typography key={String(r.refund_number)} variant="body2">
          Refund #{String(r.refund_number)}: {money(r.amount, r.currency)} ({String(r.state)}) {when(r.at)} - {String(r.reason)}
        </Typography>
      ))}
    </Box>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Card variant="outlined" sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" gutterBottom>
          {title}
        </Typography>
        {children}
      </CardContent>
    </Card>
  );
}

function OrderDetail() {
  const record = useRecordContext();
  if (!record) return null;
  const timeline = (record.timeline as RaRecord[] | undefined) ?? [];
  const notes = (record.notes as RaRecord[] | undefined) ?? [];
  const lines = (record.lines as RaRecord[] | undefined) ?? [];
  const shipment = record.shipment as RaRecord | null | undefined;
  return (
    <Box sx={{ p: 2 }}>
      <Unavailable record={record} />
      <Typography variant="h5" gutterBottom data-testid="order-id">
        Order {String(record.id)} {record.status !== undefined && <Status record={record} />}
      </Typography>
      {record.status !== undefined && (
        <Grid container spacing={2}>
          <Grid size={{ xs: 12, md: 6 }}>
            <Section title="Summary">
              <Typography>Customer: {String(record.contact_email ?? record.customer_id ?? "")}</Typography>
              <Typography>Placed: {when(record.created_at)}</Typography>
              <Typography>Total: {money(record.total, record.currency)}</Typography>
              {lines.map((line) => (
                <Typography key={String(line.sku)} variant="body2">
                  {String(line.quantity)} x {String(line.name)} ({String(line.sku)}) {money(line.line_total, record.currency)}
                </Typography>
              ))}
            </Section>
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Section title="Payment">
              <Payment record={record} />
            </Section>
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Section title="Timeline">
              <Box component="ol" sx={{ pl: 2, m: 0 }} data-testid="timeline">
                {timeline.map((entry) => (
                  <li key={String(entry.event_id ?? entry.seq)}>
                    <Typography variant="body2">
                      <b>{String(entry.type)}</b> {when(entry.at)} by {String(entry.by ?? "")}
                      {because(entry.detail as RaRecord | undefined)}
                    </Typography>
                  </li>
                ))}
              </Box>
            </Section>
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Section title="Shipment">
              {shipment ? (
                <>
                  <Typography>
                    {String(shipment.status ?? "")} {shipment.carrier ? `with ${String(shipment.carrier)}` : ""}
                  </Typography>
                  {typeof shipment.tracking_url === "string" && (
                    <a href={shipment.tracking_url} target="_blank" rel="noreferrer">
                      {String(shipment.tracking_number ?? "tracking")}
                    </a>
                  )}
                </>
              ) : (
                <Typography>Not dispatched yet.</Typography>
              )}
            </Section>
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Section title="Emails">
              <Emails record={record} />
            </Section>
          </Grid>
          <Grid size={{ xs: 12, md: 6 }}>
            <Section title="Notes">
              {notes.length ? (
                notes.map((n, i) => (
                  <Typography key={i} variant="body2">
                    {when(n.at)} {String(n.by_email ?? n.by ?? "")}: {String(n.text ?? "")}
                  </Typography>
                ))
              ) : (
                <Typography color="text.secondary">No notes.</Typography>
              )}
            </Section>
          </Grid>
        </Grid>
      )}
    </Box>
  );
}

export function OrderShow() {
  return (
    <Show actions={<OrderActions />}>
      <OrderDetail />
    </Show>
  );
}
