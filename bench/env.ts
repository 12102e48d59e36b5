/** The only place the bench reads the environment. */
const env = process.env;
/** Seconds per measured run; default 10. */
export const BENCH_SECONDS = Number(env.BENCH_SECONDS ?? 10);
export const APT_ENV = { ...env, DEBIAN_FRONTEND: "noninteractive" };
