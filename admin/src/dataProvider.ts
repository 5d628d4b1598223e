/** react-admin's data provider for our REST shapes: keyset pagination (`limit` + `cursor`, answered
 * with `next_cursor`), only the query parameters a route declares (the API refuses unknown ones),
 * records keyed by their natural id, and routes the server does not offer yet degrading to an empty
 * screen that says so instead of an error. */
import type { DataProvider, GetListParams, Identifier, RaRecord } from "react-admin";
import { ApiError, request, type Query } from "./api";
import { screen, type Screen } from "./screens";

/** Resources whose list route the server does not offer (yet): the screen's empty state says so. */
export const unavailable = new Map<string, string>();

/** Page number -> cursor, per resource and query: react-admin pages by number, the API by cursor. */
const cursors = new Map<string, Map<number, string>>();

function recordOf(s: Screen, item: Record<string, unknown>): RaRecord {
  return { ...item, id: (item.id ?? item[s.id]) as Identifier };
}

/** The list in an answer: `{<list_key>: [...], next_cursor}`, `{items: [...]}` or a bare array. */
export function itemsOf(s: Screen, body: unknown): Record<string, unknown>[] {
  if (Array.isArray(body)) return body;
  const object = (body ?? {}) as Record<string, unknown>;
  for (const key of [s.list_key, "items", "data", "results"]) {
    if (Array.isArray(object[key])) return object[key] as Record<string, unknown>[];
  }
  const first = Object.values(object).find(Array.isArray);
  return (first as Record<string, unknown>[] | undefined) ?? [];
}

/** One record: `{<one_key>: {...}, ...more}` (an order with its timeline, payment and shipment)
 * becomes one flat record; anything else is taken as it is. */
export function oneOf(s: Screen, body: unknown): Record<string, unknown> {
  const object = (body ?? {}) as Record<string, unknown>;
  const inner = s.one_key ? object[s.one_key] : undefined;
  if (inner && typeof inner === "object" && !Array.isArray(inner)) {
    const { [s.one_key as string]: _inner, ...rest } = object;
    return { ...(inner as Record<string, unknown>), ...rest };
  }
  return object;
}

export function queryOf(s: Screen, filter: Record<string, unknown>): Query {
  const query: Query = {};
  for (const name of s.params) {
    const value = filter[name];
    if (value === undefined || value === null || value === "") continue;
    query[name] = typeof value === "object" ? JSON.stringify(value) : (value as string | number | boolean);
  }
  return query;
}

function itemPath(s: Screen, id: Identifier): string {
  const key = s.url_id === "dots" ? String(id).replaceAll("/", ".") : String(id);
  return `${s.path}/${encodeURIComponent(key)}`;
}

/** Only the fields the route's model accepts (a record read back carries state it refuses). */
export function bodyOf(data: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  const { id: _id, ...rest } = data;
  if (!fields) return rest;
  return Object.fromEntries(fields.filter((f) => rest[f] !== undefined).map((f) => [f, rest[f]]));
}

async function getList(resource: string, params: GetListParams) {
  const s = screen(resource);
  const page = params.pagination?.page ?? 1;
  const perPage = params.pagination?.perPage ?? 25;
  const query = queryOf(s, params.filter ?? {});
  const key = JSON.stringify([resource, perPage, query]);
  const pages = cursors.get(key) ?? new Map<number, string>();
  cursors.set(key, pages);
  const cursor = page > 1 ? pages.get(page) : undefined;
  if (page > 1 && !cursor) {
    // A page we have no cursor for (a bookmarked page 3): start again from the first.
    return getList(resource, { ...params, pagination: { page: 1, perPage } });
  }
  let body: unknown;
  try {
    const paging = s.paged === false ? {} : { limit: perPage, cursor };
    body = await request(s.path, { query: { ...query, ...paging } });
    unavailable.delete(resource);
  } catch (error) {
    if (error instanceof ApiError && error.routeMissing) {
      unavailable.set(resource, error.message);
      return { data: [], pageInfo: { hasNextPage: false, hasPreviousPage: false } };
    }
    throw error;
  }
  const next = (body as { next_cursor?: string | null } | null)?.next_cursor ?? null;
  if (next) pages.set(page + 1, next);
  const data = itemsOf(s, body).map((item) => recordOf(s, item));
  return {
    data,
    // The count is known once the last page is reached (keyset pages have no total before).
    total: next ? undefined : s.paged === false ? data.length : (page - 1) * perPage + data.length,
    pageInfo: { hasNextPage: Boolean(next), hasPreviousPage: page > 1 },
  };
}

export const dataProvider: DataProvider = {
  getList: getList as DataProvider["getList"],

  async getOne(resource, { id }) {
    const s = screen(resource);
    try {
      return { data: recordOf(s, oneOf(s, await request(itemPath(s, id)))) as never };
    } catch (error) {
      if (error instanceof ApiError && error.routeMissing) {
        // No detail route yet: the page still shows the id and offers its actions.
        return { data: { id, [s.id]: id, _unavailable: error.message } as never };
      }
      throw error;
    }
  },

  async getMany(resource, { ids }) {
    const found = await Promise.all(ids.map((id) => dataProvider.getOne(resource, { id })));
    return { data: found.map((r) => r.data) };
  },

  async getManyReference(resource, params) {
    const { data, pageInfo } = await getList(resource, {
      ...params,
      filter: { ...params.filter, [params.target]: params.id },
    });
    return { data, pageInfo } as never;
  },

  async create(resource, { data }) {
    const s = screen(resource);
    // A new entry has no version yet: the create models refuse the field.
    const body = bodyOf(data as Record<string, unknown>, s.fields?.filter((f) => f !== "version"));
    const created = await request(s.path, { method: "POST", body });
    return { data: recordOf(s, { ...body, ...oneOf(s, created) }) as never };
  },

  async update(resource, { id, data, previousData }) {
    const s = screen(resource);
    const body = bodyOf(data as Record<string, unknown>, s.update_fields ?? s.fields);
    const updated = await request(itemPath(s, id) + (s.update_suffix ?? ""), { method: "PUT", body });
    return { data: recordOf(s, { ...previousData, ...body, ...oneOf(s, updated), [s.id]: id }) as never };
  },

  async updateMany(resource, { ids, data }) {
    await Promise.all(ids.map((id) => dataProvider.update(resource, { id, data, previousData: { id } })));
    return { data: ids };
  },

  async delete(resource, { id, previousData }) {
    const s = screen(resource);
    await request(itemPath(s, id), { method: "DELETE" });
    return { data: (previousData ?? { id }) as never };
  },

  async deleteMany(resource, { ids }) {
    await Promise.all(ids.map((id) => dataProvider.delete(resource, { id })));
    return { data: ids };
  },
};

/** POST <resource path>/<id>/<action> (approve, cancel, hold, notes, refunds, adjustments...). */
export function act<T = unknown>(
  resource: string,
  id: Identifier,
  action: string,
  body?: unknown,
  options: { method?: string; idempotencyKey?: string } = {},
): Promise<T> {
  const s = screen(resource);
  const headers: Record<string, string> = options.idempotencyKey ? { "Idempotency-Key": options.idempotencyKey } : {};
  return request<T>(`${itemPath(s, id)}/${action}`, { method: options.method ?? "POST", body, headers });
}
