/** Inventory: stock per SKU (on hand, reserved, available, per warehouse, low-stock flag), one SKU's
 * change log (who, how, why, when), and the staff changes: adjustments
 * (POST /admin/inventory/{sku}/adjustments {warehouse, delta, reason}), transfers between warehouses
 * and the low-stock threshold. Adjustments and transfers carry an Idempotency-Key. */
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import {
  BooleanInput,
  FunctionField,
  NumberField,
  NumberInput,
  SearchInput,
  Show,
  SimpleShowLayout,
  TextField,
  TextInput,
  TopToolbar,
  useRecordContext,
  type RaRecord,
} from "react-admin";
import { request } from "../api";
import { ActionDialog, Unavailable, useAllowed, ResourceList } from "../common";
import { act } from "../dataProvider";
import { when } from "../format";
import { validate } from "../validation";

const warehouses = (r: RaRecord) =>
  ((r.warehouses as RaRecord[] | undefined) ?? []).map((w) => `${String(w.warehouse)}: ${String(w.on_hand)}`).join(", ");

export function InventoryList() {
  return (
    <ResourceList
      filters={[
        <SearchInput key="sku_prefix" source="sku_prefix" alwaysOn placeholder="SKU starts with" parse={(v: string) => v.toUpperCase()} />,
        <BooleanInput key="low_stock" source="low_stock" label="Low stock only" alwaysOn />,
      ]}
      rowClick="show"
      perPage={50}
      empty="No SKU matches."
    >
      <TextField source="sku" label="SKU" />
      <NumberField source="on_hand" />
      <NumberField source="reserved" />
      <NumberField source="available" />
      <FunctionField label="Per warehouse" render={warehouses} />
      <FunctionField label="Low" render={(r: RaRecord) => (r.low_stock ? `yes (<= ${String(r.low_stock_threshold)})` : "")} />
    </ResourceList>
  );
}

function InventoryActions() {
  const record = useRecordContext();
  const adjust = useAllowed("inventory.adjust");
  const transfer = useAllowed("inventory.transfer");
  const threshold = useAllowed("inventory.threshold");
  if (!record) return null;
  const sku = String(record.id);
  return (
    <TopToolbar>
      {adjust && (
        <ActionDialog
          label="Adjust stock"
          title={`Adjust the stock of ${sku}`}
          testId="adjust"
          defaultValues={{ warehouse: "main" }}
          run={(v, key) =>
            act("inventory", sku, "adjustments", { warehouse: v.warehouse, delta: Number(v.delta), reason: v.reason }, { idempotencyKey: key }).then(
              () => `Stock of ${sku} adjusted by ${String(v.delta)} in ${String(v.warehouse)}.`,
            )
          }
        >
          <Typography variant="body2" gutterBottom>
            A positive number adds units on hand (goods received, a recount); a negative one removes them (damage,
            loss). Stock cannot go below what orders have reserved.
          </Typography>
          <TextInput source="warehouse" validate={validate.warehouse} fullWidth />
          <NumberInput source="delta" label="Units (+/-)" validate={validate.delta} fullWidth />
          <TextInput source="reason" validate={validate.stockReason} fullWidth multiline />
        </ActionDialog>
      )}
      {transfer && (
        <ActionDialog
          label="Transfer"
          title={`Move units of ${sku} between warehouses`}
          testId="transfer"
          defaultValues={{ from_warehouse: "main" }}
          run={(v, key) =>
            request("/admin/inventory/transfers", {
              method: "POST",
              body: { sku, from_warehouse: v.from_warehouse, to_warehouse: v.to_warehouse, quantity: Number(v.quantity), reason: v.reason },
              headers: { "Idempotency-Key": key },
            }).then(() => `${String(v.quantity)} of ${sku} moved from ${String(v.from_warehouse)} to ${String(v.to_warehouse)}.`)
          }
        >
          <TextInput source="from_warehouse" label="From" validate={validate.warehouse} fullWidth />
          <TextInput
            source="to_warehouse"
            label="To"
            validate={[...validate.warehouse, (value: unknown, all: Record<string, unknown>) => (value === all.from_warehouse ? "Pick another warehouse" : undefined)]}
            fullWidth
          />
          <NumberInput source="quantity" label="Units" validate={validate.units} fullWidth />
          <TextInput source="reason" validate={validate.stockReason} fullWidth multiline />
        </ActionDialog>
      )}
      {threshold && (
        <ActionDialog
          label="Low-stock threshold"
          title={`Low-stock threshold of ${sku}`}
          testId="threshold"
          defaultValues={{ threshold: record.low_stock_threshold }}
          run={(v) =>
            act("inventory", sku, "low-stock-threshold", { threshold: Number(v.threshold) }, { method: "PUT" }).then(
              () => `${sku} is low at ${String(v.threshold)} available or fewer.`,
            )
          }
        >
          <NumberInput source="threshold" label="Low when available is at most" validate={validate.threshold} fullWidth />
        </ActionDialog>
      )}
    </TopToolbar>
  );
}

function ChangeLog() {
  const record = useRecordContext();
  const changes = (record?.changes as RaRecord[] | undefined) ?? [];
  if (!changes.length) return <Typography color="text.secondary">No changes yet.</Typography>;
  return (
    <Table size="small" data-testid="changes">
      <TableHead>
        <TableRow>
          <TableCell>When</TableCell>
          <TableCell>What</TableCell>
          <TableCell>Units</TableCell>
          <TableCell>Where</TableCell>
          <TableCell>Who</TableCell>
          <TableCell>Why</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {changes.map((c) => (
          <TableRow key={String(c.change_id)}>
            <TableCell>{when(c.at)}</TableCell>
            <TableCell>{String(c.kind)}</TableCell>
            <TableCell>{String(c.delta)}</TableCell>
            <TableCell>{[c.warehouse, c.to_warehouse].filter(Boolean).join(" -> ")}</TableCell>
            <TableCell>{String(c.actor_email ?? c.actor ?? c.by ?? "")}</TableCell>
            <TableCell>{String(c.reason ?? "")}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function InventoryShow() {
  return (
    <Show actions={<InventoryActions />}>
      <SimpleShowLayout>
        <FunctionField render={(r: RaRecord) => <Unavailable record={r} />} />
        <TextField source="sku" label="SKU" />
        <NumberField source="on_hand" />
        <NumberField source="reserved" />
        <NumberField source="available" />
        <NumberField source="low_stock_threshold" label="Low-stock threshold" />
        <FunctionField label="Per warehouse" render={warehouses} />
        <FunctionField label="Changes (newest first)" render={() => <ChangeLog />} />
      </SimpleShowLayout>
    </Show>
  );
}
