import type { THttpFilter as THttpFilterConfig, TPluginInfo } from "@switchyard/config-model";
import type { TLog } from "../../observability/log.ts";
import type { THttpFilter } from "../api.ts";

/**
 * A module behind code filters as a proxy announces it in hello and logs it: config-model's
 * TPluginInfo (the entry's `module`, the module's name and version, its config schema as
 * JSON Schema or null).
 */
export type TLoadedModule = Readonly<TPluginInfo>;

/** What loaders get beyond the entry (filters/code/index.ts builds it per load). */
export type TCodeEnv = {
  readonly log: TLog;
  counter(filter: string, counter: string, by: number): void;
  /** A phase nobody awaits (onDone) rejected: counted in switchyard_filter_errors_total and logged. */
  filterFailed(filter: string, err: unknown): void;
  /** Managed mode: the only modules a config may name (--plugin); null = any. */
  readonly allowedModules: ReadonlySet<string> | null;
  /** Modules of the version serving now (a loader may reuse what it built for them). */
  readonly previous: readonly TLoadedModule[];
};

/**
 * One loader per code filter type: loads the entry's code, checks its config, creates the
 * instance. Throws ConfigCompileError with a path under `path` for anything the version
 * must be refused for.
 */
export type TCodeLoader = (entry: THttpFilterConfig, path: string, env: TCodeEnv) => Promise<{ filter: THttpFilter; module: TLoadedModule }>;
