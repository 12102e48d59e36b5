/**
 * The console's REST API (/api/v1, docs/rest-api.md) as the CLI sees it: every failure
 * becomes a CliFailure with the reason a person (or a CI log) needs.
 */
export class CliFailure extends Error {
  constructor(
    message: string,
    /** Process exit status: 1 for every failure (EXIT in main.ts). */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliFailure";
  }
}

export type TIssue = { path: string; message: string; line?: number };
export type TApiResponse = { status: number; headers: Headers; text: string; json: () => unknown };

export type TApi = {
  readonly url: string;
  request(method: string, path: string, opts?: { body?: string; contentType?: string; accept?: string; headers?: Record<string, string> }): Promise<TApiResponse>;
};

export function createApi(baseUrl: string, token: string | undefined): TApi {
  const url = baseUrl.replace(/\/+$/, "");
  return {
    url,
    async request(method, path, opts = {}) {
      const headers: Record<string, string> = { accept: opts.accept ?? "application/json", ...opts.headers };
      if (token) headers.authorization = `Bearer ${token}`;
      if (opts.contentType) headers["content-type"] = opts.contentType;
      let res: Response;
      try {
        res = await fetch(`${url}/api/v1${path}`, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}), signal: AbortSignal.timeout(60_000) });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new CliFailure(`cannot reach the console at ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message} (set --url or SWITCHYARD_URL)`);
      }
      const text = await res.text();
      const response: TApiResponse = {
        status: res.status,
        headers: res.headers,
        text,
        json: () => {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            throw new CliFailure(`${method} ${path}: the console answered ${res.status} with a body that is not JSON`);
          }
        },
      };
      if (res.status === 401) throw new CliFailure(`the console refused the token (401 ${errorOf(response)}): set --token or SWITCHYARD_TOKEN to an API token`);
      if (res.status === 403) throw new CliFailure(`the console refused the request (403 ${errorOf(response)})`);
      return response;
    },
  };
}

/** The `error` of a REST error body, or its status text. */
export function errorOf(res: TApiResponse): string {
  try {
    const body = JSON.parse(res.text) as { error?: string };
    return body.error ?? res.text.slice(0, 200);
  } catch {
    return res.text.slice(0, 200);
  }
}

/** Throws a CliFailure unless the status is one of `ok`. */
export function expectStatus(res: TApiResponse, what: string, ok: number[] = [200]): void {
  if (!ok.includes(res.status)) throw new CliFailure(`${what}: ${res.status} ${errorOf(res)}${formatIssues(issuesOf(res))}`);
}

export function issuesOf(res: TApiResponse): TIssue[] {
  try {
    const body = JSON.parse(res.text) as { issues?: TIssue[] };
    return Array.isArray(body.issues) ? body.issues : [];
  } catch {
    return [];
  }
}

/** One indented line per issue: `path (line N): message`. */
export function formatIssues(issues: TIssue[]): string {
  return issues.map((i) => `\n  ${i.path || "(document)"}${i.line !== undefined ? ` (line ${i.line})` : ""}: ${i.message}`).join("");
}
