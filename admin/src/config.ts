/** Runtime configuration: `config.json` next to index.html (the local cloud serves it at
 * /admin/config.json, CDK deploys it beside the bundle). Nothing environment-specific is baked in. */
export interface AppConfig {
  apiUrl: string;
  region?: string;
  staffPoolId?: string;
  staffClientId?: string;
}

type Raw = Record<string, string | undefined>;

/** The documented keys are snake_case; the camelCase ones are what older stacks and the local
 * cloud wrote, accepted so one build works against both. */
export function parseConfig(raw: Raw, origin: string): AppConfig {
  const apiUrl = raw.api_url ?? raw.apiUrl ?? origin;
  return {
    apiUrl: apiUrl.replace(/\/+$/, ""),
    region: raw.region,
    staffPoolId: raw.staff_pool_id ?? raw.staffUserPoolId ?? raw.userPoolId,
    staffClientId: raw.staff_client_id ?? raw.staffUserPoolClientId ?? raw.userPoolClientId,
  };
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch(new URL("config.json", document.baseURI), { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  }
  return parseConfig((await response.json()) as Raw, window.location.origin);
}
