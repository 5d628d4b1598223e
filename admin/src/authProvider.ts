/** Staff sign-in through the platform (POST /admin/auth/sign-in against the staff user pool), the ID
 * token on every request (api.ts), and the permissions the UI uses to hide what a staff member may
 * not do. Hiding is a courtesy: every /admin route checks its permission on the server. */
import type { AuthProvider, UserIdentity } from "react-admin";
import { ApiError, request } from "./api";
import { ACTIONS, allowed } from "./screens";
import { clearSession, isExpired, readSession, writeSession, type StaffSession } from "./session";

interface SignedIn {
  id_token: string;
  refresh_token?: string | null;
  expires_in: number;
  groups?: string[];
  permissions?: string[];
}

interface Me {
  email?: string;
  username?: string;
  name?: string;
  groups?: string[];
  permissions?: string[];
}

export function sessionFrom(email: string, signedIn: SignedIn, now = Date.now()): StaffSession {
  return {
    email,
    id_token: signedIn.id_token,
    refresh_token: signedIn.refresh_token ?? null,
    expires_at: now + signedIn.expires_in * 1000,
    groups: signedIn.groups ?? [],
    permissions: signedIn.permissions ?? [],
  };
}

let me: Promise<Me | null> | null = null;

const REFRESH_MARGIN_MS = 60_000;

/** POST /admin/auth/refresh: new ID token for the same member (no new refresh token is issued). */
async function refresh(session: StaffSession): Promise<void> {
  try {
    const renewed = await request<SignedIn>("/admin/auth/refresh", {
      method: "POST",
      body: { refresh_token: session.refresh_token },
      anonymous: true,
    });
    writeSession({ ...sessionFrom(session.email, renewed), refresh_token: session.refresh_token });
  } catch {
    clearSession();
    throw new Error("Your session has ended: please sign in again.");
  }
}

/** GET /admin/me, once per page load: the freshest groups and permissions (a staff member moved to
 * another group sees it at the next load). Without the route, the sign-in's answer stands. */
function fetchMe(): Promise<Me | null> {
  me ??= request<Me>("/admin/me").then(
    (found) => {
      const session = readSession();
      if (session && found) {
        writeSession({
          ...session,
          groups: found.groups ?? session.groups,
          permissions: found.permissions ?? session.permissions,
        });
      }
      return found;
    },
    () => null,
  );
  return me;
}

export const authProvider: AuthProvider = {
  /** `{email, password}` signs in. The further steps answer a 403 of the step before with its
   * session: `{email, session, new_password}` (NEW_PASSWORD_REQUIRED: an invited member's first
   * sign-in), `{email, session, code, setup: true}` (MFA_SETUP_REQUIRED, after
   * POST /admin/auth/mfa/setup gave the secret) and `{email, session, code}` (MFA_REQUIRED). */
  async login(params: {
    username?: string;
    email?: string;
    password?: string;
    session?: string;
    new_password?: string;
    code?: string;
    setup?: boolean;
  }) {
    const address = (params.email ?? params.username ?? "").trim();
    const step = (path: string, body: Record<string, unknown>) =>
      request<SignedIn>(path, { method: "POST", body, anonymous: true });
    let signedIn: SignedIn;
    if (params.session && params.code !== undefined) {
      signedIn = await step(params.setup ? "/admin/auth/mfa/verify" : "/admin/auth/mfa", {
        session: params.session,
        code: params.code,
      });
    } else if (params.session) {
      signedIn = await step("/admin/auth/new-password", { session: params.session, new_password: params.new_password });
    } else {
      signedIn = await step("/admin/auth/sign-in", { email: address, password: params.password });
    }
    me = null;
    writeSession(sessionFrom(address, signedIn));
  },

  async logout() {
    me = null;
    clearSession();
  },

  async checkAuth() {
    const session = readSession();
    if (session && isExpired(session, Date.now() + REFRESH_MARGIN_MS) && session.refresh_token) {
      await refresh(session);
      return;
    }
    if (!session || isExpired(session)) {
      clearSession();
      throw new Error("Please sign in.");
    }
  },

  async checkError(error: unknown) {
    if (error instanceof ApiError && error.status === 401) {
      clearSession();
      throw new Error("Your session has ended: please sign in again.");
    }
    // 403 and everything else: stay signed in, the message says what went wrong.
  },

  async getPermissions() {
    await fetchMe();
    return readSession()?.permissions ?? [];
  },

  async getIdentity(): Promise<UserIdentity> {
    const session = readSession();
    if (!session) throw new Error("Please sign in.");
    const found = await fetchMe();
    const email = found?.email ?? session.email;
    const groups = found?.groups ?? session.groups;
    return { id: email, fullName: groups.length ? `${email} (${groups.join(", ")})` : email };
  },

  /** react-admin asks before showing a menu entry, a page or a button. `resource` is a screen of
   * screens.json; `action` is list/show/create/edit/delete or one of the screen's actions. */
  async canAccess({ resource, action }: { resource: string; action: string }) {
    const granted = readSession()?.permissions ?? [];
    const named = `${resource}.${action}`;
    return allowed(granted, named in ACTIONS ? named : resource);
  },
};
