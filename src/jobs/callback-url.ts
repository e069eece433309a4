/**
 * Which callback URLs a job may have (API.md §6, §11): `https:`, or `http:`
 * to a listed loopback host; no userinfo; a host in CALLBACK_ALLOWED_HOSTS.
 * The service never calls any other host.
 */

/** A host as the URL parser writes it: lower case, IPv4 in dotted decimal, IPv6 in brackets. */
export function canonicalHost(host: string): string {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  try {
    return new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname;
  } catch {
    return bare;
  }
}

/** localhost, 127.0.0.0/8 and ::1. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** Why `value` cannot be a callback URL, or undefined when it can. */
export function callbackUrlProblem(value: string, allowedHosts: ReadonlySet<string>): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute https URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https URL';
  if (url.username !== '' || url.password !== '') return 'must not contain userinfo';
  const host = url.hostname;
  if (!allowedHosts.has(host)) return `host '${host}' is not in CALLBACK_ALLOWED_HOSTS`;
  if (url.protocol === 'http:' && !isLoopback(host)) return 'must be https (http is allowed only to a loopback host)';
  return undefined;
}

/** The allowlist, canonicalised once. */
export const allowedHostSet = (hosts: readonly string[]): ReadonlySet<string> => new Set(hosts.map(canonicalHost));
