// The services' HTTP status endpoint: GET /status (or /) the service's JSON health and progress,
// GET /healthz 200 or 503, GET /metrics Prometheus' text format (prom-client, a registry per service).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { json } from "../cli/io.ts";

export class StatusServer {
  private server?: Server;
  private readonly registry: Registry;
  private readonly status: () => { healthy: boolean } & Record<string, unknown>;

  constructor(registry: Registry, status: () => { healthy: boolean } & Record<string, unknown>) {
    this.registry = registry;
    this.status = status;
  }

  /** Listen on host:port (port 0: any free port); resolves to the port. */
  listen(port: number, host = "127.0.0.1"): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const reply = (code: number, type: string, body: string) => {
        res.writeHead(code, { "content-type": type, "cache-control": "no-store" });
        res.end(body);
      };
      if (req.method !== "GET") return reply(405, "text/plain", "GET only\n");
      if (path === "/metrics") {
        this.registry.metrics().then(
          (m) => reply(200, this.registry.contentType, m),
          (e) => reply(500, "text/plain", `${(e as Error).message}\n`),
        );
        return;
      }
      if (path === "/" || path === "/status" || path === "/healthz") {
        const s = this.status();
        if (path === "/healthz") return reply(s.healthy ? 200 : 503, "text/plain", s.healthy ? "ok\n" : "unhealthy\n");
        return reply(200, "application/json", `${json(s, 2)}\n`);
      }
      reply(404, "text/plain", "GET /status, /healthz or /metrics\n");
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    s.closeAllConnections();
    return new Promise((resolve) => s.close(() => resolve()));
  }
}

/** A registry with the process's default metrics and the pool's gauges. */
export async function serviceRegistry(
  service: string,
  pool: { stats(): { workers: number; inFlight: number; done: number; failed: number; busySeconds: number } },
): Promise<{ registry: Registry; prom: typeof import("prom-client") }> {
  const prom = await import("prom-client");
  const registry = new prom.Registry();
  registry.setDefaultLabels({ service });
  prom.collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, f: () => number) =>
    new prom.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(f());
      },
    });
  gauge("zkmargin_pool_workers", "prover workers (threads, or BullMQ workers on the queue)", () => pool.stats().workers);
  gauge("zkmargin_pool_in_flight", "proof jobs handed to the pool and not yet answered", () => pool.stats().inFlight);
  gauge("zkmargin_pool_done", "proof jobs answered with a proof", () => pool.stats().done);
  gauge("zkmargin_pool_failed", "proof jobs that failed or were refused", () => pool.stats().failed);
  return { registry, prom };
}
