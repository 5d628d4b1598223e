/** Customers, staff and the audit log. */
import {
  ChipField,
  Create,
  DateField,
  DateInput,
  Edit,
  FunctionField,
  SearchInput,
  SelectArrayInput,
  Show,
  SimpleForm,
  SimpleShowLayout,
  TextField,
  TextInput,
  TopToolbar,
  useRecordContext,
  type RaRecord,
} from "react-admin";
import Box from "@mui/material/Box";
import Typography from "@mui/material/Typography";
import { Link } from "react-router-dom";
import { ActionDialog, Json, Unavailable, useAllowed, ResourceList } from "../common";
import { act } from "../dataProvider";
import { money, when } from "../format";
import { validate } from "../validation";

export const STAFF_GROUPS = [
  "admin",
  "order-manager",
  "customer-service",
  "warehouse",
  "finance",
  "marketing",
  "catalogue-manager",
].map((id) => ({ id, name: id }));

export function CustomerList() {
  return (
    <ResourceList filters={[<SearchInput key="q" source="q" alwaysOn placeholder="Email or name" />]} rowClick="show" empty="No customer matches.">
      <TextField source="customer_id" label="Customer" />
      <TextField source="email" />
      <TextField source="name" />
      <DateField source="created_at" showTime />
    </ResourceList>
  );
}

function CustomerActions() {
  const record = useRecordContext();
  const note = useAllowed("customers.notes");
  const toggle = useAllowed("customers.disable");
  if (!record) return null;
  const id = record.id;
  return (
    <TopToolbar>
      {note && (
        <ActionDialog
          label="Add note"
          title={`A note on customer ${String(record.email ?? id)}`}
          testId="customer-note"
          run={(v) => act("customers", id, "notes", { text: v.text }).then(() => "Note added.")}
        >
          <TextInput source="text" label="Note (staff only)" validate={validate.note} fullWidth multiline />
        </ActionDialog>
      )}
      {toggle && record.enabled !== false && (
        <ActionDialog
          label="Disable"
          title={`Disable ${String(record.email ?? id)}?`}
          color="error"
          testId="customer-disable"
          run={() => act("customers", id, "disable").then(() => "The customer can no longer sign in.")}
        >
          <Typography>They are signed out and cannot sign in until enabled again.</Typography>
        </ActionDialog>
      )}
      {toggle && record.enabled !== true && (
        <ActionDialog
          label="Enable"
          title={`Enable ${String(record.email ?? id)}?`}
          testId="customer-enable"
          run={() => act("customers", id, "enable").then(() => "The customer can sign in again.")}
        />
      )}
    </TopToolbar>
  );
}

export function CustomerShow() {
  return (
    <Show actions={<CustomerActions />}>
      <SimpleShowLayout>
        <FunctionField render={(r: RaRecord) => <Unavailable record={r} />} />
        <TextField source="customer_id" />
        <TextField source="email" />
        <TextField source="name" />
        <TextField source="phone" />
        <FunctionField label="Can sign in" render={(r: RaRecord) => (r.enabled === false ? "no (disabled)" : "yes")} />
        <FunctionField label="Addresses" render={(r: RaRecord) => <Json value={r.addresses} />} />
        <FunctionField
          label="Recent orders"
          render={(r: RaRecord) => (
            <Box>
              {((r.orders as RaRecord[]) ?? []).map((o) => (
                <Typography key={String(o.order_id)} variant="body2">
                  <Link to={`/orders/${String(o.order_id)}/show`}>{String(o.order_id)}</Link> {String(o.status)}{" "}
                  {money(o.total, o.currency)} {when(o.created_at)}
                </Typography>
              ))}
            </Box>
          )}
        />
        <FunctionField
          label="Notes"
          render={(r: RaRecord) =>
            ((r.notes as RaRecord[]) ?? []).map((n) => (
              <Typography key={String(n.note_id)} variant="body2">
                {when(n.created_at)} {String(n.author_email ?? n.author ?? "")}: {String(n.text)}
              </Typography>
            ))
          }
        />
      </SimpleShowLayout>
    </Show>
  );
}

export function StaffList() {
  return (
    <ResourceList rowClick="edit" paged={false}>
      <TextField source="email" />
      <TextField source="name" />
      <FunctionField label="Groups" render={(r: RaRecord) => ((r.groups as string[]) ?? []).join(", ")} />
      <FunctionField label="Enabled" render={(r: RaRecord) => (r.enabled === false ? "no" : "yes")} />
      <ChipField source="status" />
    </ResourceList>
  );
}

function StaffActions() {
  const record = useRecordContext();
  const toggle = useAllowed("staff.disable");
  if (!record || !toggle) return null;
  const id = record.id;
  return (
    <TopToolbar>
      {record.enabled !== false ? (
        <ActionDialog
          label="Disable"
          title={`Disable ${String(record.email ?? id)}?`}
          color="error"
          testId="staff-disable"
          run={() => act("staff", id, "disable").then(() => "The staff member can no longer sign in.")}
        >
          <Typography>They cannot sign in until enabled again.</Typography>
        </ActionDialog>
      ) : (
        <ActionDialog
          label="Enable"
          title={`Enable ${String(record.email ?? id)}?`}
          testId="staff-enable"
          run={() => act("staff", id, "enable").then(() => "The staff member can sign in again.")}
        />
      )}
    </TopToolbar>
  );
}

const groupsRequired = (value: unknown) => (Array.isArray(value) && value.length ? undefined : "Pick at least one group");
const knownGroups = (value: unknown) =>
  Array.isArray(value) && value.some((g) => !STAFF_GROUPS.some((known) => known.id === g)) ? "Unknown group" : undefined;

export const StaffCreate = () => (
  <Create redirect="list">
    <SimpleForm>
      <Typography variant="body2">They get an email with a temporary password, to change at their first sign-in.</Typography>
      <TextInput source="email" validate={validate.email} />
      <TextInput source="name" validate={validate.personName} />
      <SelectArrayInput source="groups" choices={STAFF_GROUPS} validate={[groupsRequired, knownGroups]} />
    </SimpleForm>
  </Create>
);

export const StaffEdit = () => (
  <Edit mutationMode="pessimistic" actions={<StaffActions />}>
    <SimpleForm>
      <TextInput source="email" disabled />
      <SelectArrayInput source="groups" choices={STAFF_GROUPS} validate={knownGroups} helperText="No group: no access" />
    </SimpleForm>
  </Edit>
);

export function AuditList() {
  return (
    <ResourceList
      filters={[
        <TextInput key="entity_type" source="entity_type" label="Entity type" alwaysOn />,
        <TextInput key="entity_id" source="entity_id" label="Entity id" />,
        <TextInput key="actor" source="actor" label="Who (staff:<sub>)" />,
        <DateInput key="day" source="day" label="Day" />,
      ]}
      expand={
        <FunctionField
          render={(r: RaRecord) => (
            <Box sx={{ display: "flex", gap: 4 }}>
              <Json value={{ before: r.before }} />
              <Json value={{ after: r.after }} />
            </Box>
          )}
        />
      }
    >
      <DateField source="at" showTime />
      <TextField source="actor_email" label="Who" />
      <TextField source="action" label="What" />
      <TextField source="entity_type" label="Entity" />
      <TextField source="entity_id" label="Id" />
    </ResourceList>
  );
}
