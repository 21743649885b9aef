import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Update } from "grammy/types";

/**
 * The webhook endpoint Telegram posts updates to (behind the HTTPS proxy).
 * Every request must carry WEBHOOK_SECRET in X-Telegram-Bot-Api-Secret-Token;
 * the update is handed to `accept` and Telegram gets 200 only once `accept`
 * resolved (the update is kept), an error status otherwise, so Telegram
 * delivers it again.
 */

/** Telegram's updates are small; a larger body is not from Telegram. */
const MAX_BODY_BYTES = 1 << 20;
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

export type WebhookServerOptions = {
  port: number;
  host?: string;
  /** The path of WEBHOOK_URL, e.g. "/telegram". */
  path: string;
  secret: string;
  accept: (update: Update) => Promise<void>;
  /** Told of updates that could not be accepted (logged by ids only). */
  onRefused?: (reason: string, updateId?: number) => void;
};

export function startWebhookServer(options: WebhookServerOptions): Promise<Server> {
  const secret = Buffer.from(options.secret);
  const server = createServer((req, res) => {
    const end = (status: number) => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "");
    };
    if (req.method !== "POST" || (req.url ?? "").split("?")[0] !== options.path) return end(404);
    const given = Buffer.from(String(req.headers[SECRET_HEADER] ?? ""));
    if (given.length !== secret.length || !timingSafeEqual(given, secret)) {
      options.onRefused?.("wrong secret");
      req.resume();
      return end(401);
    }
    readBody(req)
      .then(async (body) => {
        const update = parseUpdate(body);
        if (!update) {
          options.onRefused?.("not an update");
          return end(400);
        }
        try {
          await options.accept(update);
          end(200);
        } catch {
          options.onRefused?.("not kept", update.update_id);
          end(503);
        }
      })
      .catch(() => {
        // Read the rest so the client sees the answer, then close.
        req.resume();
        res.setHeader("connection", "close");
        end(413);
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve(server));
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error("too large"));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseUpdate(body: string): Update | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    if (typeof value !== "object" || value === null) return undefined;
    const id = (value as { update_id?: unknown }).update_id;
    return Number.isSafeInteger(id) && (id as number) >= 0 ? (value as Update) : undefined;
  } catch {
    return undefined;
  }
}
