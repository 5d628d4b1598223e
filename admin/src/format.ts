/** Amounts are minor units (cents) with an ISO currency, as the API sends them. */
export function money(amount: unknown, currency: unknown = "EUR"): string {
  if (typeof amount !== "number") return "";
  return new Intl.NumberFormat("en-GB", { style: "currency", currency: String(currency || "EUR") }).format(amount / 100);
}

export function when(value: unknown): string {
  if (typeof value !== "string" || !value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString("en-GB");
}

export const ORDER_STATUSES = [
  "awaiting_payment",
  "awaiting_payment_retry",
  "payment_authorised",
  "payment_declined",
  "in_review",
  "approved",
  "ready_for_fulfilment",
  "fulfilment_exception",
  "handed_to_carrier",
  "shipped",
  "delivered",
  "completed",
  "returned_to_sender",
  "rejected",
  "cancel_requested",
  "cancelled",
  "expired",
] as const;

export const choices = (names: readonly string[]) => names.map((name) => ({ id: name, name: name.replaceAll("_", " ") }));
