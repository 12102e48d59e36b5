import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** After the last apply, the young generation is offered a trim at each of these (ms): V8 judges the allocation rate over the last seconds, so start-up may still count at the first. */
const TRIM_AT_MS = [1_000, 5_000];

type TCollect = (options: { type: "minor" }) => void;

/**
 * Gives V8 a chance to shrink its young generation once a config apply is over and the
 * process is quiet. Loading the modules and handling a config (parsing, validating,
 * compiling a 10,000-route table) are bursts of allocations that live on: V8 reads the
 * survivors as a sign that the program needs a bigger nursery and doubles it, up to 64
 * MiB per semi-space, 128 MiB that stay committed while the proxy idles (RSS 252 MiB
 * with the 10k-route config), because V8 only shrinks it at a garbage collection that
 * sees a low allocation rate, and an idle process collects nothing. A scavenge (well
 * under 1 ms) 1 s and 5 s after the last apply is that collection: V8 shrinks the nursery when the
 * allocation rate is low and keeps it when request traffic is allocating, so the size
 * under load stays V8's choice. The scavenge is V8's gc() (--expose-gc, set for the one
 * context that fetches it and unset again, so no other code sees a gc global).
 */
export class YoungGenerationTrim {
  #timer: NodeJS.Timeout | null = null;

  /** (Re)starts the quiet period; the trims run during it. */
  schedule(): void {
    this.stop();
    this.#next(0, 0);
  }

  #next(step: number, elapsed: number): void {
    const at = TRIM_AT_MS[step];
    if (at === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      scavenge();
      this.#next(step + 1, at);
    }, at - elapsed);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

let collect: TCollect | null | undefined;

function scavenge(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      collect = runInNewContext("gc") as TCollect;
    } catch {
      collect = null;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  }
  collect?.({ type: "minor" });
}
