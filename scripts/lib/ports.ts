import net from "node:net";

/** A port `npm start` needs: what uses it, the address it binds, and the variable that moves it. */
export type TPortNeed = { what: string; host: string; port: number; variable: string };

/**
 * Binds and releases every port once, before anything starts, and returns one line per
 * problem (a port asked for twice, in use, or not allowed), each naming the variable
 * that moves it. Empty when all are free.
 */
export async function checkPorts(needs: readonly TPortNeed[]): Promise<string[]> {
  const problems: string[] = [];
  const byPort = new Map<number, TPortNeed>();
  for (const need of needs) {
    const other = byPort.get(need.port);
    if (other) {
      problems.push(`${other.variable} and ${need.variable} both ask for port ${need.port} (${other.what}, ${need.what}): set one of them to another port`);
      continue;
    }
    byPort.set(need.port, need);
  }
  const results = await Promise.all([...byPort.values()].map(async (need) => ({ need, error: await tryBind(need.host, need.port) })));
  for (const { need, error } of results) {
    if (!error) continue;
    const where = `${need.host}:${need.port} (${need.what})`;
    const move = `start with ${need.variable}=<another port> to move it`;
    if (error === "EADDRINUSE") problems.push(`port ${where} is in use: ${move} (\`ss -ltnp 'sport = :${need.port}'\` shows by whom)`);
    else if (error === "EACCES") problems.push(`port ${where} needs privileges to bind: ${move} (1024 or above)`);
    else problems.push(`port ${where} cannot be bound (${error}): ${move}`);
  }
  return problems;
}

function tryBind(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    // exclusive: a cluster primary's shared handle must not make a taken port look free.
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
