/**
 * The part of `oidc-provider` (which ships no types) the test provider uses. Test-only:
 * the console itself is a client (openid-client), never a provider.
 */
declare module "oidc-provider" {
  import type { Server } from "node:http";
  type TAccount = { accountId: string; claims(): Promise<Record<string, unknown>> };
  type TConfiguration = {
    clients: Record<string, unknown>[];
    findAccount(ctx: unknown, id: string): Promise<TAccount | undefined>;
    scopes?: string[];
    claims?: Record<string, string[]>;
    cookies?: { keys: string[] };
    features?: Record<string, { enabled: boolean }>;
  };
  export default class Provider {
    constructor(issuer: string, configuration: TConfiguration);
    on(event: "server_error", listener: (ctx: unknown, err: Error) => void): this;
    listen(port: number, host: string, listening: () => void): Server;
  }
}
