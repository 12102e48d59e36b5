/**
 * A real OpenID provider (the `oidc-provider` package, certified OP) as its own process,
 * for the sign-in tests: `node --import tsx oidc-provider-process.ts` with
 * OIDC_TEST_CONFIG = JSON { port, clientId, clientSecret, redirectUri, accountsFile }.
 * Its development interaction pages sign in ANY login name (the password is not checked)
 * and ask for consent ("Continue" / "[ Cancel ]"); the accounts file (JSON, read at each
 * sign-in so a test can move someone to another group) gives a login name its email and
 * groups. Prints "ready <issuer>" once it listens.
 */
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

type TAccount = { email?: string; groups?: string[] };
const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? "{}") as {
  port: number;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  accountsFile: string;
};
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.clientId,
      client_secret: config.clientSecret,
      redirect_uris: [config.redirectUri],
      // The console's login page, where RP-initiated logout returns (SWITCHYARD_OIDC_PROVIDER_LOGOUT).
      post_logout_redirect_uris: [new URL("/login", config.redirectUri).href],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  // The provider signs in any login name; unknown ones get an e-mail and no groups.
  async findAccount(_ctx, id) {
    const accounts = JSON.parse(readFileSync(config.accountsFile, "utf8")) as Record<string, TAccount>;
    const account = accounts[id] ?? { email: `${id}@example.test` };
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...(account.email ? { email: account.email, email_verified: true } : {}), ...(account.groups ? { groups: account.groups } : {}), name: id };
      },
    };
  },
  scopes: ["openid", "email", "profile", "groups"],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
  cookies: { keys: ["switchyard-test-provider-cookie-key"] },
  features: { devInteractions: { enabled: true } },
});
provider.on("server_error", (_ctx, err) => console.error("provider server_error", err));

const server = provider.listen(config.port, "127.0.0.1", () => console.log(`ready ${issuer}`));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.close(() => process.exit(0)));
