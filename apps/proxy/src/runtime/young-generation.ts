import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * After the last apply: a scavenge at 1 s (V8 judges the allocation rate over the last
 * seconds, so the apply itself may still count then), another at 5 s, then one full
 * collection, which frees the replaced version (its config, compiled tables, parsed
 * document) that an idle process would otherwise keep in its old generation until traffic
 * fills it (RSS +25 MiB after a 10k-route swap).
 */
const TRIMS: readonly { atMs: number; type: "minor" | "major" }[] = [
  { atMs: 1_000, type: "minor" },
  { atMs: 5_000, type: "minor" },
  { atMs: 5_000, type: "major" },
];

type TCollect = (options: { type: "minor" | "major" }) => void;

/**
 * Gives V8 the collections that hand an apply's memory back once the apply is over.
 * Loading the modules and handling a config (parsing, validating, compiling a
 * 10,000-route table) are bursts of allocations that live on: V8 reads the survivors as
 * a sign that the program needs a bigger nursery and doubles it, up to 64 MiB per
 * semi-space, 128 MiB that stay committed while the proxy idles (RSS 252 MiB with the
 * 10k-route config), because V8 shrinks it only at a collection that sees a low
 * allocation rate, and an idle process collects nothing. The scavenges (well under 1 ms)
 * are that collection: V8 shrinks the nursery when the allocation rate is low and keeps
 * it when request traffic is allocating, so its size under load stays V8's choice. The
 * full collection after them pauses the process once, ~50 ms with the 10k-route config
 * (an apply itself holds the event loop longer). V8 returns the freed pages to the OS
 * about ten seconds later. The collections are V8's gc() (--expose-gc, set for the one
 * context that fetches it and unset again, so no other code sees a gc global).
 * Measured: the nursery's shrink in the proxy with the 10k-route config (RSS, `npm run
 * bench:apply-scale`); in a synthetic burst of small objects (test/fixtures/apply-burst.ts)
 * the nursery kept its grown size, so the unit test covers only the full collection.
 */
export class YoungGenerationTrim {
  #timer: NodeJS.Timeout | null = null;

  /** (Re)starts the quiet period; the trims run during it. */
  schedule(): void {
    this.stop();
    this.#next(0, 0);
  }

  #next(step: number, elapsed: number): void {
    const trim = TRIMS[step];
    if (trim === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      collectGarbage(trim.type);
      this.#next(step + 1, trim.atMs);
    }, trim.atMs - elapsed);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

let collect: TCollect | null | undefined;

function collectGarbage(type: "minor" | "major"): void {
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
  collect?.({ type });
}
