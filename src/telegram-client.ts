import type { Agent } from "node:http";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { HttpsProxyAgent } from "https-proxy-agent";
import { SocksProxyAgent } from "socks-proxy-agent";
import type { Config } from "./config.js";

/**
 * grammY client options from the configuration: any Bot API server, and all
 * traffic through an http(s) or socks5 proxy when one is set (deployments in
 * mainland China need one to reach Telegram).
 */
export function clientOptions(config: Pick<Config, "TELEGRAM_API_ROOT" | "TELEGRAM_PROXY">) {
  const proxy = config.TELEGRAM_PROXY;
  const agent = !proxy
    ? undefined
    : proxy.startsWith("socks")
      ? new SocksProxyAgent(proxy)
      : new HttpsProxyAgent(proxy);
  return { apiRoot: config.TELEGRAM_API_ROOT, ...(agent ? { baseFetchConfig: { agent, compress: true } } : {}) };
}

export class DownloadError extends Error {}

/**
 * Downloads a file the officer sent (getFile's file_path) through the same
 * proxy as every API call, bounded in size and time. The URL carries the
 * token, so errors never include it.
 */
export function fileDownloader(
  config: Pick<Config, "TELEGRAM_API_ROOT" | "TELEGRAM_PROXY" | "BOT_TOKEN">,
  timeoutMs = 20_000,
): (filePath: string, maxBytes: number) => Promise<Uint8Array> {
  const { baseFetchConfig } = clientOptions(config) as { baseFetchConfig?: { agent: Agent } };
  return (filePath, maxBytes) =>
    new Promise((resolve, reject) => {
      const url = new URL(`${config.TELEGRAM_API_ROOT}/file/bot${config.BOT_TOKEN}/${filePath}`);
      const get = url.protocol === "https:" ? httpsGet : httpGet;
      const req = get(url, { agent: baseFetchConfig?.agent, timeout: timeoutMs }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new DownloadError(`download refused with status ${res.statusCode}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy();
            reject(new DownloadError(`file larger than ${maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        res.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
        res.on("error", () => reject(new DownloadError("download interrupted")));
      });
      req.on("timeout", () => req.destroy(new DownloadError("download timed out")));
      req.on("error", (e) => reject(e instanceof DownloadError ? e : new DownloadError(`download failed: ${e.name}`)));
    });
}
