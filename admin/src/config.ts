/** Runtime configuration: `config.json` next to index.html (the local cloud serves it at
 * /admin/config.json, CDK deploys it beside the bundle). Nothing environment-specific is baked in.
 * Both write the one shape infra/admin_config.py defines (ADMIN_CONFIG_KEYS): exactly these keys. */
export interface AppConfig {
  apiUrl: string;
  region?: string;
  staffPoolId?: string;
  staffClientId?: string;
}

interface Raw {
  api_url?: string;
  region?: string;
  staff_pool_id?: string;
  staff_client_id?: string;
}

export function parseConfig(raw: Raw, origin: string): AppConfig {
  return {
    apiUrl: (raw.api_url ?? origin).replace(/\/+$/, ""),
    region: raw.region,
    staffPoolId: raw.staff_pool_id,
    staffClientId: raw.staff_client_id,
  };
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch(new URL("config.json", document.baseURI), { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  }
  return parseConfig((await response.json()) as Raw, window.location.origin);
}
