// METRICS=<port>: the metrics on their own small listener, away from the public port (a Kubernetes
// Service then exposes only the API; Prometheus scrapes the pods' metrics port). Started by server.ts.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AppMetrics } from './http/metrics.js'

export interface MetricsServer {
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(port: number, host: string): Promise<AddressInfo>
  close(): Promise<void>
  readonly server: Server
}

/** GET (or HEAD) /metrics answers the exposition; everything else is a JSON 404/405 like the API's. */
export function createMetricsServer(metrics: Pick<AppMetrics, 'render' | 'contentType'>): MetricsServer {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const json = (statusCode: number, error: string, message: string) => {
      res.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify({ statusCode, error, message }))
    }
    if (path !== '/metrics') return json(404, 'Not Found', `${req.method} ${path} not found; this listener serves GET /metrics only`)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return json(405, 'Method Not Allowed', `${req.method} /metrics: use GET`)
    }
    metrics.render().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : body)
      },
      (err: Error) => json(500, 'Internal Server Error', `metrics failed: ${err.message}`),
    )
  })
  server.requestTimeout = 10_000
  server.headersTimeout = 5_000
  server.keepAliveTimeout = 65_000

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          resolve(server.address() as AddressInfo)
        })
      })
    },
    close() {
      return new Promise((resolve, reject) => {
        if (!server.listening) return resolve()
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeIdleConnections()
      })
    },
  }
}
