// A real external authorization service for the extAuthz tests, run as its own node
// process: `node authz-service.mjs PORT`. Prints "ready" once listening.
//   Authorization: Bearer good   -> 200 + x-user: alice, x-internal: secret, x-authz-path: <path it was asked>
//   a path containing /slow      -> answers after 3 s
//   a body containing "forbidden" -> 403 text
//   otherwise                    -> 401 JSON + www-authenticate + x-deny-reason
import { createServer } from "node:http";

const port = Number(process.argv[2]);
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString();
    const answer = () => {
      if (body.includes("forbidden")) {
        res.writeHead(403, { "content-type": "text/plain", "x-deny-reason": "body" });
        return res.end("forbidden body\n");
      }
      if (req.headers.authorization === "Bearer good") {
        res.writeHead(200, {
          "x-user": "alice",
          "x-internal": "secret",
          "x-authz-path": req.url,
          "x-authz-method": req.method,
          "x-authz-host": req.headers["x-forwarded-host"] ?? "",
          "x-authz-body": String(body.length),
          "x-authz-tenant": req.headers["x-tenant"] ?? "-",
        });
        return res.end();
      }
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="test"', "x-deny-reason": "no-token" });
      res.end(JSON.stringify({ error: "denied", path: req.url }));
    };
    if (req.url.includes("/slow")) setTimeout(answer, 3000);
    else answer();
  });
});
server.listen(port, "127.0.0.1", () => console.log("ready"));
process.on("SIGTERM", () => process.exit(0));
