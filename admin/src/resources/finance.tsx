/** Finance: payments and refunds (HANDLE_PAYMENTS). */
import { Datagrid, DateField, FunctionField, List, SelectInput, TextField, type RaRecord } from "react-admin";
import { Empty } from "../common";
import { choices, money } from "../format";

const PAYMENT_STATUSES = ["pending", "authorised", "declined", "captured", "partially_captured", "voided", "refunded"];

export function PaymentList() {
  return (
    <List exporter={false} filters={[<SelectInput key="status" source="status" choices={choices(PAYMENT_STATUSES)} alwaysOn />]} empty={false}>
      <Datagrid bulkActionButtons={false} empty={<Empty />}>
        <TextField source="order_id" label="Order" />
        <TextField source="status" />
        <FunctionField label="Amount" render={(r: RaRecord) => money(r.amount, r.currency)} />
        <FunctionField label="Captured" render={(r: RaRecord) => money(r.captured, r.currency)} />
        <FunctionField label="Refunded" render={(r: RaRecord) => money(r.refunded, r.currency)} />
        <DateField source="updated_at" showTime />
      </Datagrid>
    </List>
  );
}

export function RefundList() {
  return (
    <List exporter={false} filters={[<SelectInput key="status" source="status" choices={choices(["requested", "succeeded", "failed"])} alwaysOn />]} empty={false}>
      <Datagrid bulkActionButtons={false} empty={<Empty />}>
        <TextField source="refund_id" label="Refund" />
        <TextField source="order_id" label="Order" />
        <FunctionField label="Amount" render={(r: RaRecord) => money(r.amount, r.currency)} />
        <TextField source="status" />
        <TextField source="reason" />
        <DateField source="created_at" showTime />
      </Datagrid>
    </List>
  );
}
