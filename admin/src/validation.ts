/** Client-side checks mirroring the server's rules (the pydantic models behind each route), so a
 * form says what is wrong before anything is sent. The server still validates everything. */
import { maxLength, maxValue, minLength, minValue, number, regex, required, type Validator } from "react-admin";

export const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/; // commerce SignIn / staff email
export const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/; // brands, manufacturers, warehouses
export const PRODUCT_ID = /^[a-z0-9][a-z0-9-]{1,79}$/;
export const SKU = /^[A-Z0-9][A-Z0-9-]{1,47}$/;
export const CATEGORY_PATH = /^[a-z0-9-]+(\/[a-z0-9-]+){0,5}$/;
export const BARCODE = /^[0-9]{8,14}$/;

const integer: Validator = (value) =>
  value === undefined || value === null || value === "" || Number.isInteger(Number(value))
    ? undefined
    : "Must be a whole number";

const notBlank: Validator = (value) =>
  typeof value === "string" && value.trim() === "" ? "Required" : undefined;

const nonZero: Validator = (value) => (Number(value) === 0 ? "Must not be zero" : undefined);

/** GET /admin/orders?q=: an order id or a customer's email address. */
const orderSearch: Validator = (value) =>
  !value || /^ord_[0-9A-Za-z]{1,60}$/.test(String(value).trim()) || /^[^@\s]+@[^@\s]+$/.test(String(value).trim())
    ? undefined
    : "An order id (ord_...) or an email address";

export const validate = {
  orderSearch: [orderSearch],
  email: [required(), maxLength(254), regex(EMAIL, "Must be an email address")],
  password: [required(), maxLength(256)],
  /** commerce.common.sign_in.TotpCode: the six digits an authenticator app shows. */
  totpCode: [required(), regex(/^[0-9]{6}$/, "The six digits your authenticator app shows")],
  /** StaffReasonRequest: approve/reject/cancel/hold reasons, 1..500 characters. */
  reason: [required(), notBlank, maxLength(500)],
  note: [required(), notBlank, maxLength(2000)],
  productId: [required(), regex(PRODUCT_ID, "Lower-case letters, digits and dashes (2-80)")],
  sku: [required(), regex(SKU, "Upper-case letters, digits and dashes (2-48)")],
  name: [required(), notBlank, maxLength(200)],
  personName: [required(), notBlank, maxLength(120)],
  description: [maxLength(5000)],
  categoryPath: [required(), maxLength(200), regex(CATEGORY_PATH, "Like home/kitchen/coffee: lower-case, up to 6 levels")],
  slug: [required(), regex(SLUG, "Lower-case letters, digits and dashes (1-64)")],
  optionalSlug: [regex(SLUG, "Lower-case letters, digits and dashes (1-64)")],
  position: [number(), integer, minValue(0), maxValue(10_000)],
  price: [required(), number(), integer, minValue(0), maxValue(100_000_000)],
  weight: [required(), number(), integer, minValue(0), maxValue(1_000_000)],
  barcode: [regex(BARCODE, "8 to 14 digits")],
  warehouse: [required(), regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "A warehouse code: lower-case letters, digits and dashes")],
  /** commerce.inventory.models.Reason: 3..500 characters. */
  addressLine: [required(), notBlank, maxLength(120)],
  line2: [maxLength(120)],
  postalCode: [required(), minLength(2), maxLength(12)],
  region: [maxLength(60)],
  country: [required(), regex(/^[A-Z]{2}$/, "A two-letter country code (NL)")],
  phone: [regex(/^\+?[0-9 ()-]{6,20}$/, "A phone number")],
  stockReason: [required(), notBlank, minLength(3), maxLength(500)],
  units: [required(), number(), integer, minValue(1), maxValue(1_000_000)],
  threshold: [required(), number(), integer, minValue(0), maxValue(1_000_000)],
  /** InventoryService.adjust: a non-zero whole number of units. */
  delta: [required(), number(), integer, nonZero, minValue(-1_000_000), maxValue(1_000_000)],
};

/** A refund in minor units: positive, whole, and no more than what can still be refunded. */
export function refundAmount(refundable: number | undefined): Validator[] {
  const most: Validator = (value) =>
    refundable !== undefined && Number(value) > refundable ? `At most ${refundable} (what is left to refund)` : undefined;
  return [required(), number(), integer, minValue(1), most];
}

/** What a CSV import needs before it is sent: a .csv file under the API's 10 MB body limit with a
 * header row naming the columns every row needs (commerce.catalog.csv_import: name, brand and
 * category are needed on a product's first row only, which the server checks row by row). */
export const CSV_REQUIRED_COLUMNS = ["product_id", "sku", "variant_name", "price", "weight_grams"];
export const CSV_MAX_BYTES = 10 * 1024 * 1024;

export function checkCsv(name: string, text: string): string[] {
  const problems: string[] = [];
  if (!name.toLowerCase().endsWith(".csv")) problems.push("Choose a .csv file.");
  if (new Blob([text]).size > CSV_MAX_BYTES) problems.push("The file is over 10 MB, the API's limit.");
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length < 2) problems.push("The file needs a header row and at least one product row.");
  const header = (lines[0] ?? "")
    .split(",")
    .map((h) => h.trim().replace(/^"|"$/g, "").toLowerCase().replaceAll(" ", "_"));
  const missing = CSV_REQUIRED_COLUMNS.filter((column) => !header.includes(column));
  if (lines.length && missing.length) problems.push(`The header row lacks: ${missing.join(", ")}.`);
  return problems;
}
