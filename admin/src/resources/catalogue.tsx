/** Catalogue: products (with variants), categories and brands, read and written through
 * /admin/catalogue/<entity>. Forms check the same rules as the catalogue's models. */
import {
  ArrayInput,
  Create,
  Edit,
  FunctionField,
  maxLength,
  maxValue,
  minValue,
  number,
  NumberInput,
  regex,
  required,
  SearchInput,
  SelectInput,
  Show,
  SimpleForm,
  SimpleFormIterator,
  SimpleShowLayout,
  TextField,
  TextInput,
  type RaRecord,
} from "react-admin";
import { Json, Unavailable, ResourceList } from "../common";
import { choices, money } from "../format";
import { validate } from "../validation";

export function ProductList() {
  return (
    <ResourceList
      filters={[
        <SearchInput key="prefix" source="prefix" alwaysOn placeholder="Product id starts with" />,
        <SelectInput key="status" source="status" choices={choices(["active", "retired"])} alwaysOn />,
      ]}
      rowClick="show"
      empty="No product matches."
    >
      <TextField source="product_id" label="Product" />
      <TextField source="name" />
      <TextField source="brand" />
      <TextField source="category" />
      <FunctionField label="From" render={(r: RaRecord) => money(r.price_from, r.currency)} />
    </ResourceList>
  );
}

export function ProductShow() {
  return (
    <Show>
      <SimpleShowLayout>
        <FunctionField render={(r: RaRecord) => <Unavailable record={r} />} />
        <TextField source="product_id" />
        <TextField source="name" />
        <TextField source="brand" />
        <TextField source="category" />
        <TextField source="description" />
        <FunctionField label="Variants" render={(r: RaRecord) => <Json value={r.variants} />} />
      </SimpleShowLayout>
    </Show>
  );
}

function ProductForm({ creating }: { creating?: boolean }) {
  return (
    <SimpleForm>
      <TextInput source="product_id" validate={validate.productId} disabled={!creating} />
      <TextInput source="name" validate={validate.name} />
      <TextInput source="brand" validate={validate.name} />
      <TextInput source="category" validate={validate.categoryPath} helperText="e.g. home/kitchen/coffee" />
      <TextInput source="description" validate={validate.description} multiline fullWidth />
      <SelectInput source="status" choices={choices(["active", "retired"])} defaultValue="active" />
      <ArrayInput source="variants" validate={(v: unknown[]) => (v?.length ? undefined : "At least one variant")}>
        <SimpleFormIterator inline>
          <TextInput source="sku" validate={validate.sku} />
          <TextInput source="name" validate={validate.name} />
          <NumberInput source="price" label="Price (cents)" validate={validate.price} />
          <NumberInput source="weight_grams" label="Weight (g)" validate={validate.weight} />
          <TextInput source="barcode" validate={validate.barcode} />
        </SimpleFormIterator>
      </ArrayInput>
    </SimpleForm>
  );
}

export const ProductCreate = () => (
  <Create redirect="show">
    <ProductForm creating />
  </Create>
);
export const ProductEdit = () => (
  <Edit mutationMode="pessimistic">
    <ProductForm />
  </Edit>
);

export const CategoryList = () => <ReferenceList columns={["path", "name", "position"]} />;

function CategoryForm({ creating }: { creating?: boolean }) {
  return (
    <SimpleForm>
      <TextInput source="path" validate={validate.categoryPath} disabled={!creating} />
      <TextInput source="name" validate={validate.name} />
      <NumberInput source="position" validate={validate.position} />
    </SimpleForm>
  );
}

export const CategoryCreate = () => (
  <Create redirect="list">
    <CategoryForm creating />
  </Create>
);
export const CategoryEdit = () => (
  <Edit mutationMode="pessimistic">
    <CategoryForm />
  </Edit>
);

export const BrandList = () => <ReferenceList columns={["slug", "name", "manufacturer"]} />;

function BrandForm({ creating }: { creating?: boolean }) {
  return (
    <SimpleForm>
      <TextInput source="slug" validate={validate.slug} disabled={!creating} />
      <TextInput source="name" validate={validate.name} />
      <TextInput source="manufacturer" validate={validate.optionalSlug} />
    </SimpleForm>
  );
}

export const BrandCreate = () => (
  <Create redirect="list">
    <BrandForm creating />
  </Create>
);
export const BrandEdit = () => (
  <Edit mutationMode="pessimistic">
    <BrandForm />
  </Edit>
);

const statusFilter = [<SelectInput key="status" source="status" choices={choices(["active", "retired"])} alwaysOn />];

function ReferenceList({ columns }: { columns: string[] }) {
  return (
    <ResourceList filters={statusFilter} rowClick="edit" perPage={50} paged={false}>
      {columns.map((column) => (
        <TextField key={column} source={column} />
      ))}
      <TextField source="status" />
    </ResourceList>
  );
}

const COUNTRY = [regex(/^[A-Z]{2}$/, "A two-letter country code (NL)")];
const SUPPLIER_EMAIL = [maxLength(200), regex(/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/, "Must be an email address")];
const LEAD_TIME = [number(), minValue(0), maxValue(365)];

function ManufacturerForm({ creating }: { creating?: boolean }) {
  return (
    <SimpleForm>
      <TextInput source="slug" validate={validate.slug} disabled={!creating} />
      <TextInput source="name" validate={validate.name} />
      <TextInput source="country" validate={COUNTRY} />
    </SimpleForm>
  );
}

export const ManufacturerList = () => <ReferenceList columns={["slug", "name", "country"]} />;
export const ManufacturerCreate = () => (
  <Create redirect="list">
    <ManufacturerForm creating />
  </Create>
);
export const ManufacturerEdit = () => (
  <Edit mutationMode="pessimistic">
    <ManufacturerForm />
  </Edit>
);

function SupplierForm({ creating }: { creating?: boolean }) {
  return (
    <SimpleForm>
      <TextInput source="slug" validate={validate.slug} disabled={!creating} />
      <TextInput source="name" validate={validate.name} />
      <TextInput source="email" validate={SUPPLIER_EMAIL} />
      <NumberInput source="lead_time_days" validate={LEAD_TIME} />
    </SimpleForm>
  );
}

export const SupplierList = () => <ReferenceList columns={["slug", "name", "email", "lead_time_days"]} />;
export const SupplierCreate = () => (
  <Create redirect="list">
    <SupplierForm creating />
  </Create>
);
export const SupplierEdit = () => (
  <Edit mutationMode="pessimistic">
    <SupplierForm />
  </Edit>
);

const ATTRIBUTE_CODE = [required(), regex(/^[a-z][a-z0-9_]{0,39}$/, "Lower-case letters, digits and underscores")];
const optionsFor = (value: unknown, values: Record<string, unknown>) =>
  values.type === "option" && !(Array.isArray(value) && value.length) ? "An option attribute lists its values" : undefined;

function AttributeForm({ creating }: { creating?: boolean }) {
  return (
    <SimpleForm>
      <TextInput source="code" validate={ATTRIBUTE_CODE} disabled={!creating} />
      <TextInput source="name" validate={validate.name} />
      <SelectInput source="type" choices={choices(["text", "number", "option"])} validate={required()} />
      <TextInput source="unit" validate={[maxLength(20)]} helperText="number attributes only" />
      <TextInput
        source="options"
        helperText="option attributes: the allowed values, separated by commas"
        format={(value: unknown) => (Array.isArray(value) ? value.join(", ") : ((value as string) ?? ""))}
        parse={(value: string) => (value ? value.split(",").map((v) => v.trim()).filter(Boolean) : null)}
        validate={optionsFor}
      />
    </SimpleForm>
  );
}

export const AttributeList = () => <ReferenceList columns={["code", "name", "type", "unit"]} />;
export const AttributeCreate = () => (
  <Create redirect="list">
    <AttributeForm creating />
  </Create>
);
export const AttributeEdit = () => (
  <Edit mutationMode="pessimistic">
    <AttributeForm />
  </Edit>
);
