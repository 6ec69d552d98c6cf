/**
 * The URL people open. On AWS that is the API's own endpoint. Against the local cloud, the API's
 * endpoint may be a `*.execute-api.localhost` host that not every client resolves, so the cloud's
 * path-style route is used instead, which works in browsers, curl and Node's fetch alike.
 */
export function publicUrl(apiEndpoint: string, apiId: string, cloudEndpoint: string | undefined): string {
  if (cloudEndpoint && new URL(apiEndpoint).hostname.endsWith('.localhost')) {
    return `${cloudEndpoint.replace(/\/+$/, '')}/_aws/execute-api/${apiId}/`;
  }
  return `${apiEndpoint.replace(/\/+$/, '')}/`;
}
