/**
 * Where the sign-in page may send a user afterwards (`/login?redirectTo=…`): only a path on this
 * server. Pure.
 */

const SELF = "http://verdict.invalid";

/**
 * `to` when it is a path of this server, else `fallback`. Refused: anything not starting with
 * `/`; `//host` and `/\host` (another host to a browser); any control character or backslash
 * anywhere, since browsers drop tabs and newlines from URLs (`/\t/evil.example` becomes
 * `//evil.example`) and read `\` as `/`; and anything that, resolved against this server,
 * lands elsewhere. What is returned is the resolved path, query and fragment.
 */
export function safeRedirect(to: string | null | undefined, fallback: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (!to || !to.startsWith("/") || to.startsWith("//") || /[\u0000-\u001f\u007f\\]/.test(to)) return fallback;
  try {
    const url = new URL(to, SELF);
    if (url.origin !== SELF) return fallback;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return fallback;
  }
}
