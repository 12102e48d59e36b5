/** A config that passed validation but cannot be compiled (bad PEM, ...); names the field. */
export class ConfigCompileError extends Error {
  readonly code = "SWY_ERR_CONFIG_COMPILE";
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "ConfigCompileError";
    this.path = path;
  }
}
