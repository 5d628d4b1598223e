/** The one HTTP client: the API URL from config.json, `Authorization: <id token>` on every request,
 * and problem+json errors (RFC 9457) turned into readable messages. */
import { HttpError } from "react-admin";
import { readSession } from "./session";

let apiUrl = "";

export function setApiUrl(url: string): void {
  apiUrl = url;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  request_id?: string;
  errors?: { loc?: (string | number)[]; msg?: string; type?: string }[];
  [extension: string]: unknown;
}

/** The gateway's answer for a route the platform does not have (yet). */
export const ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND";

export class ApiError extends HttpError {
  constructor(
    message: string,
    status: number,
    public readonly problem: Problem,
    public readonly route: string,
  ) {
    super(message, status, problem);
    // react-admin's HttpError pins its own prototype, which would hide this subclass from instanceof.
    Object.setPrototypeOf(this, ApiError.prototype);
  }

  get code(): string | undefined {
    return this.problem.code;
  }

  /** The server has no such route: the screen degrades instead of failing. */
  get routeMissing(): boolean {
    return this.status === 404 && this.problem.code === ROUTE_NOT_FOUND;
  }
}

function field(loc: (string | number)[] | undefined): string {
  const parts = (loc ?? []).filter((part) => part !== "body" && part !== "query");
  return parts.join(".");
}

/** "Order is not in review: the order is ready_for_fulfilment" plus each invalid field, in words. */
export function problemMessage(problem: Problem, status: number, route: string): string {
  if (status === 404 && problem.code === ROUTE_NOT_FOUND) {
    return `This server does not offer ${route} yet.`;
  }
  const title = problem.title?.trim();
  const detail = problem.detail?.trim();
  let message = detail && title && !detail.startsWith(title) ? `${title}: ${detail}` : detail || title || "";
  if (problem.errors?.length) {
    const fields = problem.errors.map((e) => (field(e.loc) ? `${field(e.loc)}: ${e.msg}` : `${e.msg}`));
    message = `${title || "The request is not valid"} (${fields.join("; ")})`;
  }
  if (!message) message = status === 403 ? "You do not have permission to do this." : `The server answered ${status}.`;
  return message;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send `body` as-is with this content type (e.g. text/csv) instead of JSON. */
  contentType?: string;
  /** Leave the Authorization header out (sign-in). */
  anonymous?: boolean;
}

export async function request<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? "GET";
  const url = new URL(apiUrl + path);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  const headers = new Headers({ Accept: "application/json, application/problem+json", ...options.headers });
  const session = options.anonymous ? null : readSession();
  if (session) headers.set("Authorization", session.id_token);
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    if (options.contentType) {
      headers.set("Content-Type", options.contentType);
      body = options.body as BodyInit;
    } else {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(options.body);
    }
  }
  const route = `${method} ${path}`;
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch {
    throw new ApiError(`The API at ${apiUrl} cannot be reached.`, 0, {}, route);
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    const problem: Problem = typeof parsed === "object" && parsed !== null ? (parsed as Problem) : { detail: text };
    throw new ApiError(problemMessage(problem, response.status, route), response.status, problem, route);
  }
  return parsed as T;
}
