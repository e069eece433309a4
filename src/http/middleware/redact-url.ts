/**
 * A request URL fit for the log (API.md §11: no secret reaches a log). Tokens
 * are only ever read from headers, but a client may still put one in the
 * query string by mistake (`?access_token=…`, `?api_key=…`); such values
 * are replaced before the URL is logged.
 */
const SECRET_PARAM = /token|key|secret|password|passwd|auth|signature|sig$|jwt|session|credential/i;

/** `url` with the value of every credential-looking query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // An undecodable name is judged as written.
      }
      return eq >= 0 && SECRET_PARAM.test(decoded) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}
