import { createWriteStream, writeSync, type WriteStream } from "node:fs";

/** One access-log line (DESIGN §4). Field names are a contract: log shippers parse them. */
export type TAccessLogEntry = {
  time: string;
  method: string;
  authority: string;
  path: string;
  status: number;
  responseFlags: string;
  durationMs: number;
  upstreamHost: string | null;
  bytesIn: number;
  bytesOut: number;
  requestId: string;
  traceId: string | null;
  listener: string;
  route: string | null;
  cluster: string | null;
  /** Upstream tries made (0: answered locally before any; > 1: retried). */
  attempts: number;
};

/** Flush when this much is buffered, or at the latest on the next turn of the event loop. */
const FLUSH_BYTES = 64 * 1024;

export type TAccessLog = {
  write(entry: TAccessLogEntry): void;
  /** Writes everything buffered synchronously (shutdown, tests). */
  flushSync(): void;
  close(): Promise<void>;
};

/**
 * Lines are joined in memory and written once per event-loop turn (setImmediate), so a
 * request never waits on a write syscall. `file` null means stdout.
 */
export function createAccessLog(file: string | null): TAccessLog {
  const stream: WriteStream | NodeJS.WriteStream = file ? createWriteStream(file, { flags: "a" }) : process.stdout;
  let buffer = "";
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    if (!buffer) return;
    const chunk = buffer;
    buffer = "";
    stream.write(chunk);
  };

  return {
    write(entry) {
      buffer += JSON.stringify(entry) + "\n";
      if (buffer.length >= FLUSH_BYTES) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flushSync() {
      if (!buffer) return;
      const chunk = buffer;
      buffer = "";
      if (stream === process.stdout) writeSync(1, chunk);
      else stream.write(chunk);
    },
    close() {
      this.flushSync();
      if (stream === process.stdout) return Promise.resolve();
      return new Promise<void>((resolve) => (stream as WriteStream).end(resolve));
    },
  };
}
