/**
 * The environment commands see. The CLI never reads cloud credentials, so it drops every
 * variable that could carry them before any command runs; `${env:X}` in a project file and a
 * build hook's child process see this filtered copy only.
 */
// The one place cloud-credential variable names are spelled: a deny-list, used to remove them.
const CLOUD_CREDENTIAL_PREFIXES = ['AWS_', 'AMAZON_', 'AZURE_', 'ARM_', 'GOOGLE_', 'GCLOUD_', 'CLOUDSDK_'];
const CLOUD_CREDENTIAL_NAMES = new Set(['ECS_CONTAINER_METADATA_URI', 'ECS_CONTAINER_METADATA_URI_V4']);

export function isCloudCredentialVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return CLOUD_CREDENTIAL_NAMES.has(upper) || CLOUD_CREDENTIAL_PREFIXES.some((p) => upper.startsWith(p));
}

export function safeEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !isCloudCredentialVariable(k)) out[k] = v;
  return out;
}
