/** Typed access to screens.json: which route and which permission each screen and action needs. */
import screens from "./screens.json";

export type Permission =
  | "MANAGE_ORDERS"
  | "MANAGE_PRODUCTS"
  | "MANAGE_INVENTORY"
  | "HANDLE_PAYMENTS"
  | "MANAGE_CUSTOMERS"
  | "MANAGE_PROMOTIONS"
  | "VIEW_REPORTS"
  | "MANAGE_STAFF"
  | "MANAGE_SETTINGS"
  | "VIEW_PROFILE";

export interface Screen {
  label: string;
  permission: Permission;
  path: string;
  id: string;
  list_key: string;
  one_key?: string;
  params: string[];
  /** false: the list route answers everything at once and takes no limit/cursor. */
  paged?: boolean;
  /** The body fields create and update send (the API's models forbid any other). */
  fields?: string[];
  /** "dots": a category path's slashes are dots in URLs (API Gateway routes no encoded slash). */
  url_id?: "dots";
  /** Update goes to <item path><update_suffix> with only these fields (staff: PUT .../groups). */
  update_suffix?: string;
  update_fields?: string[];
  routes: Partial<Record<"list" | "show" | "create" | "edit" | "delete", string>>;
}

export interface Action {
  route: string;
  permission: Permission | null;
}

export const RESOURCES = screens.resources as unknown as Record<string, Screen>;
export const ACTIONS = screens.actions as unknown as Record<string, Action>;

export function screen(resource: string): Screen {
  const found = RESOURCES[resource];
  if (!found) throw new Error(`unknown resource ${resource}`);
  return found;
}

/** May a staff member holding `granted` do `action` ("orders.approve") or see `resource` ("orders")? */
export function allowed(granted: readonly string[] | undefined, what: string): boolean {
  const permission = ACTIONS[what]?.permission ?? RESOURCES[what]?.permission ?? null;
  return permission === null || (granted ?? []).includes(permission);
}
