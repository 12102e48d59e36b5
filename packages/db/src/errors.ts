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
