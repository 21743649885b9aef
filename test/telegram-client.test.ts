import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { Bot } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { clientOptions, fileDownloader } from "../src/telegram-client.js";
import { type FakeTelegram, startFakeTelegram } from "./support/fake-telegram.js";

const TOKEN = "123456789:AAProxyTestTokenOnly_abcdefghijklmn";
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A CONNECT proxy on 127.0.0.1 that counts the tunnels it opens. */
async function startProxy(): Promise<{ url: string; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = createServer((_, res) => res.writeHead(405).end());
  server.on("connect", (req, client, head) => {
    tunnels.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels };
}

describe("the Telegram client", () => {
  let fake: FakeTelegram;
  it("talks to the configured Bot API server", async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    closers.push(() => fake.close());
    const bot = new Bot(TOKEN, { client: clientOptions({ TELEGRAM_API_ROOT: fake.apiRoot }) });
    expect((await bot.api.getMe()).is_bot).toBe(true);
  });
  it("sends every call through the proxy when TELEGRAM_PROXY is set", async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    closers.push(() => fake.close());
    const proxy = await startProxy();
    const bot = new Bot(TOKEN, {
      client: clientOptions({ TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_PROXY: proxy.url }),
    });
    await bot.api.getMe();
    await bot.api.setMyCommands([{ command: "start", description: "开始" }]);
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(proxy.tunnels.every((t) => t === new URL(fake.apiRoot).host)).toBe(true);
    expect(fake.myCommands()).toEqual([{ command: "start", description: "开始" }]);
  });
  it("downloads an officer's file through the proxy, refusing one that is too large", async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    closers.push(() => fake.close());
    const proxy = await startProxy();
    const download = fileDownloader({ TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_PROXY: proxy.url, BOT_TOKEN: TOKEN });
    const file = fake.registerFile(Buffer.from('{"year":2025}'), "r.json");
    expect(Buffer.from(await download(file.filePath, 1000)).toString()).toBe('{"year":2025}');
    expect(proxy.tunnels).toHaveLength(1);
    await expect(download(file.filePath, 5)).rejects.toThrow(/larger than 5 bytes/);
    await expect(download("documents/missing.json", 1000)).rejects.toThrow(/status 404/);
  });
  it("fails rather than going around a proxy that is down", async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    closers.push(() => fake.close());
    const bot = new Bot(TOKEN, {
      client: { ...clientOptions({ TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_PROXY: "http://127.0.0.1:9" }) },
    });
    await expect(bot.api.getMe()).rejects.toThrow();
    expect(fake.calls).toEqual([]);
  });
});
