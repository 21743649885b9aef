import { createServer, type Server } from "node:http";

/**
 * A small HTTP listener for orchestrators (HEALTH_PORT, issue "Production" 4):
 *   GET /healthz  200 while the process is up
 *   GET /readyz   200 when the store answers and the bot takes updates, with
 *                 the inbox lag; 503 otherwise (store unreachable, draining)
 * Answers are small JSON objects; nothing about officers or reports.
 */

export type Readiness = { ready: boolean; store: "ok" | "unreachable"; draining?: boolean; inboxLag?: number };

const PROBE_TIMEOUT_MS = 2000;

export function startHealthServer(
  port: number,
  readiness: () => Promise<Readiness>,
  host = "0.0.0.0",
): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, { error: "method not allowed" });
    if (path === "/healthz") return send(200, { ok: true });
    if (path !== "/readyz") return send(404, { error: "not found" });
    withTimeout(readiness(), PROBE_TIMEOUT_MS)
      .catch((): Readiness => ({ ready: false, store: "unreachable" }))
      .then((r) => send(r.ready ? 200 : 503, r));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
