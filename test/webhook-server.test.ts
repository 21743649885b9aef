import type { Server } from "node:http";
import type { Update } from "grammy/types";
import { afterEach, describe, expect, it } from "vitest";
import { startWebhookServer } from "../src/webhook-server.js";

const SECRET = "webhook-secret-for-tests_0123";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(accept: (u: Update) => Promise<void>) {
  const refused: string[] = [];
  server = await startWebhookServer({
    port: 0,
    host: "127.0.0.1",
    path: "/telegram",
    secret: SECRET,
    accept,
    onRefused: (reason) => refused.push(reason),
  });
  const { port } = server.address() as { port: number };
  const post = (
    body: string,
    headers: Record<string, string> = { "x-telegram-bot-api-secret-token": SECRET },
    path = "/telegram",
  ) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...headers },
    });
  return { post, refused };
}

const update = JSON.stringify({ update_id: 7, message: { message_id: 1, date: 0, chat: { id: 1, type: "private" } } });

describe("the webhook server", () => {
  it("answers 200 once the update is accepted", async () => {
    const got: Update[] = [];
    const { post } = await serve(async (u) => void got.push(u));
    expect((await post(update)).status).toBe(200);
    expect(got.map((u) => u.update_id)).toEqual([7]);
  });

  it("refuses every request without the secret, or with a wrong one, and hands nothing on", async () => {
    const got: Update[] = [];
    const { post, refused } = await serve(async (u) => void got.push(u));
    expect((await post(update, {})).status).toBe(401);
    expect((await post(update, { "x-telegram-bot-api-secret-token": `${SECRET}x` })).status).toBe(401);
    expect((await post(update, { "x-telegram-bot-api-secret-token": SECRET.replace("0", "1") })).status).toBe(401);
    expect(got).toEqual([]);
    expect(refused).toEqual(["wrong secret", "wrong secret", "wrong secret"]);
  });

  it("answers an error when the update cannot be kept, so Telegram sends it again", async () => {
    const { post } = await serve(async () => {
      throw new Error("store down");
    });
    expect((await post(update)).status).toBe(503);
  });

  it("refuses what is not an update, and other paths", async () => {
    const { post } = await serve(async () => undefined);
    expect((await post("{not json")).status).toBe(400);
    expect((await post(JSON.stringify({ update_id: -1 }))).status).toBe(400);
    expect((await post(update, undefined, "/other")).status).toBe(404);
    expect((await post("x".repeat(2 << 20))).status).toBe(413);
  });
});
