// What server.js hands every loader and action.
declare module "@remix-run/node" {
  interface AppLoadContext {
    /** The client's IP address as the socket (or a trusted proxy, see TRUST_PROXY) reports it. */
    clientAddress?: string;
    /** This response's Content-Security-Policy nonce (server.js); absent under `npm run dev`, which sends no CSP. */
    cspNonce?: string;
  }
}

export {};
