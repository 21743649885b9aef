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
  const agent = !proxy ? undefined : proxy.startsWith("socks") ? new SocksProxyAgent(proxy) : new HttpsProxyAgent(proxy);
  return { apiRoot: config.TELEGRAM_API_ROOT, ...(agent ? { baseFetchConfig: { agent, compress: true } } : {}) };
}
