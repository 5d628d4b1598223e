/** The signed-in staff member, kept in sessionStorage for this tab (cleared when it closes):
 * the ID token the API's Cognito authoriser accepts, and what the sign-in said they may do. */
export interface StaffSession {
  email: string;
  id_token: string;
  refresh_token?: string | null;
  expires_at: number; // epoch ms
  groups: string[];
  permissions: string[];
}

export const SESSION_KEY = "commerce-admin.session";

export function readSession(): StaffSession | null {
  const raw = window.sessionStorage.getItem(SESSION_KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as StaffSession;
    return session.id_token ? session : null;
  } catch {
    return null;
  }
}

export function writeSession(session: StaffSession): void {
  window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  window.sessionStorage.removeItem(SESSION_KEY);
}

export function isExpired(session: StaffSession, now = Date.now()): boolean {
  return session.expires_at <= now;
}
