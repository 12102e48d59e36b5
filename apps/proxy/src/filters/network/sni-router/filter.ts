import { HOLD, type TNetworkFilter } from "../api.ts";
import { readClientHello } from "./client-hello.ts";
import { matchServerName, type TSniRouterConfig } from "./config.ts";

/** How a connection's ClientHello went (switchyard_sni_hello_total{result}); Envoy's tls_inspector counts the same. */
export type TSniHelloResult = "sni" | "noSni" | "notTls" | "malformed" | "tooLarge" | "timeout";

export type TSniRouterStats = {
  sniHello(listener: string, result: TSniHelloResult): void;
  sniRouted(listener: string, route: string): void;
};

type TState = { timer: NodeJS.Timeout | null; serverName: string | null };

/**
 * TLS passthrough by SNI (config-model's ZSniRouterFilter). onConnect holds the chain (no
 * upstream yet) and starts the hello timer; onData reads the held bytes until the
 * ClientHello is whole, then sets `conn.cluster` and lets every held byte go on unchanged.
 * Flags: NR (no route and no defaultCluster), BH (malformed or too large hello),
 * HT (hello timeout). `conn.metadata.get(name)` holds { serverName } for later filters.
 */
export function createSniRouterFilter(name: string, c: TSniRouterConfig, stats: TSniRouterStats): TNetworkFilter {
  return {
    name,
    onConnect(conn) {
      const state: TState = { timer: null, serverName: null };
      state.timer = setTimeout(() => {
        state.timer = null;
        stats.sniHello(conn.listener, "timeout");
        conn.close("HT");
      }, c.helloTimeoutMs);
      conn.metadata.set(name, state);
      return HOLD;
    },
    onData(chunk, direction, conn) {
      const state = conn.metadata.get(name) as TState | undefined;
      if (direction !== "toUpstream" || !state?.timer) return;
      const hello = readClientHello(chunk, c.maxHelloBytes);
      if (hello.state === "incomplete") return HOLD;
      clearTimeout(state.timer);
      state.timer = null;
      if (hello.state === "malformed" || hello.state === "tooLarge") {
        stats.sniHello(conn.listener, hello.state);
        return { close: true, flag: "BH" };
      }
      const serverName = hello.state === "done" ? hello.serverName : null;
      stats.sniHello(conn.listener, hello.state === "notTls" ? "notTls" : serverName === null ? "noSni" : "sni");
      state.serverName = serverName;
      const target = (serverName !== null ? matchServerName(c, serverName) : null) ?? c.fallback;
      if (!target) return { close: true, flag: "NR" };
      stats.sniRouted(conn.listener, target.route);
      conn.cluster = target.cluster;
      return undefined;
    },
    onClose(_info, conn) {
      const state = conn.metadata.get(name) as TState | undefined;
      if (state?.timer) clearTimeout(state.timer);
    },
  };
}
