import { createContext, useContext } from "react";

/**
 * The Content-Security-Policy nonce of the response being rendered, provided by
 * entry.server around the whole document so root can hand it to Remix's inline scripts. It is
 * not loader data: it must not reach the browser's state, where a later render would reuse it.
 * In the browser it is undefined, which is fine: scripts React adds after hydration never run.
 */
export const CspNonce = createContext<string | undefined>(undefined);

export function useCspNonce(): string | undefined {
  return useContext(CspNonce);
}
