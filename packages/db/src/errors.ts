/** Errors of the data layer, each with a stable code and the HTTP status it maps to. */
export class DbError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DbError";
    this.code = code;
    this.status = status;
  }
}

export class VersionNotFoundError extends DbError {
  readonly version: number;
  constructor(version: number) {
    super("SWY_ERR_VERSION_NOT_FOUND", 404, `version ${version} does not exist`);
    this.name = "VersionNotFoundError";
    this.version = version;
  }
}

/** Raised when stored rows no longer describe a valid config, or lost data on the way in. */
export class StoredConfigError extends DbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("SWY_ERR_STORED_CONFIG", 500, message, options);
    this.name = "StoredConfigError";
  }
}

/**
 * PostgreSQL SQLSTATEs that mean the input cannot be stored as given (NUL bytes or other
 * invalid text, values out of range or too long): the caller's fault, a 400.
 */
const BAD_INPUT_SQLSTATES = new Set(["22021", "22P05", "22001", "22003", "22P02", "54000"]);
/** Prisma / pg / Node codes and SQLSTATE classes that mean the database is unreachable: 503. */
const UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "57P01", "57P02", "57P03", "53300"]);
const UNAVAILABLE_MESSAGE = /Can't reach database server|Connection terminated|connection (?:is )?closed|terminating connection|the database system is (?:starting up|shutting down)|Client has encountered a connection error|timeout exceeded when trying to connect|Connection refused|ECONNREFUSED/i;

/**
 * Classifies an error from Prisma / pg that is not a DbError: bad input (400), database
 * unavailable (503, with a clear message for the console's clients), or null (a bug: 500).
 * Walks the `cause` chain, since driver adapters wrap the original error.
 */
export function dbFailureOf(err: unknown): DbError | null {
  if (err instanceof DbError) return null;
  let e: unknown = err;
  for (let depth = 0; e !== null && e !== undefined && depth < 6; depth++) {
    const o = e as { code?: unknown; message?: unknown; cause?: unknown; meta?: unknown; originalCode?: unknown };
    const code = typeof o.code === "string" ? o.code : typeof o.originalCode === "string" ? o.originalCode : "";
    const message = typeof o.message === "string" ? o.message : "";
    const sqlstate = /Code: `(\w{5})`/.exec(message)?.[1] ?? code;
    if (BAD_INPUT_SQLSTATES.has(sqlstate)) {
      return new DbError("SWY_ERR_INVALID_INPUT", 400, "the input holds characters or values the database cannot store (e.g. a NUL byte, or a number out of range)", { cause: err });
    }
    if (UNAVAILABLE_CODES.has(code) || sqlstate.startsWith("08") || UNAVAILABLE_MESSAGE.test(message)) {
      return new DbError("SWY_ERR_DB_UNAVAILABLE", 503, "the console's database is unavailable; retry shortly", { cause: err });
    }
    e = o.cause ?? (o.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError;
  }
  return null;
}
