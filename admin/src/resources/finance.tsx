/** Finance: payments and refunds (HANDLE_PAYMENTS): GET /admin/payments, GET /admin/payments/{order_id}
 * and GET /admin/refunds, newest first, by status, date range and order id. */
import { DateField, DateInput, FunctionField, NumberField, Show, SimpleShowLayout, SelectInput, TextField, TextInput, type RaRecord } from "react-admin";
import { Json, ResourceList } from "../common";
import { choices, money } from "../format";

/** commerce.payments.models.PaymentStatus */
const PAYMENT_STATUSES = ["pending", "authorised", "partially_captured", "captured", "voided", "refunded", "failed"];
/** commerce.payments.models.Movement.state */
const REFUND_STATES = ["requested", "applied", "refused"];

const filtersWith = (states: string[]) => [
  <SelectInput key="status" source="status" choices={choices(states)} alwaysOn />,
  <DateInput key="created_from" source="created_from" label="From" alwaysOn />,
  <DateInput key="created_to" source="created_to" label="To" alwaysOn />,
  <TextInput key="order_id" source="order_id" label="Order id" alwaysOn />,
];

export function PaymentList() {
  return (
    <ResourceList filters={filtersWith(PAYMENT_STATUSES)} rowClick="show" empty="No payment matches.">
      <TextField source="order_id" label="Order" />
      <TextField source="status" />
      <FunctionField label="Amount" render={(r: RaRecord) => money(r.amount, r.currency)} />
      <FunctionField label="Captured" render={(r: RaRecord) => money(r.captured, r.currency)} />
      <FunctionField label="Refunded" render={(r: RaRecord) => money(r.refunded, r.currency)} />
      <NumberField source="attempts" />
      <TextField source="decline_code" label="Declined" />
      <DateField source="created_at" showTime />
    </ResourceList>
  );
}

export function PaymentShow() {
  return (
    <Show>
      <SimpleShowLayout>
        <TextField source="order_id" label="Order" />
        <TextField source="payment_id" label="Payment" />
        <TextField source="status" />
        <FunctionField label="Amount" render={(r: RaRecord) => money(r.amount, r.currency)} />
        <FunctionField label="Captured" render={(r: RaRecord) => money(r.captured, r.currency)} />
        <FunctionField label="Refunded" render={(r: RaRecord) => money(r.refunded, r.currency)} />
        <FunctionField label="Authorisation attempts" render={(r: RaRecord) => <Json value={r.attempts} />} />
        <FunctionField label="Captures, voids and refunds" render={(r: RaRecord) => <Json value={r.movements} />} />
        <FunctionField label="History" render={(r: RaRecord) => <Json value={r.history} />} />
        <DateField source="created_at" showTime />
        <DateField source="updated_at" showTime />
      </SimpleShowLayout>
    </Show>
  );
}

export function RefundList() {
  return (
    <ResourceList filters={filtersWith(REFUND_STATES)} empty="No refund matches.">
      <TextField source="refund_id" label="Refund" />
      <TextField source="order_id" label="Order" />
      <FunctionField label="Amount" render={(r: RaRecord) => money(r.amount, r.currency)} />
      <TextField source="state" />
      <TextField source="decline_code" label="Refused because" />
      <TextField source="reference" label="Bank reference" />
      <DateField source="requested_at" showTime />
    </ResourceList>
  );
}
