import { Composer, Context, type MiddlewareFn } from "grammy";
import type { Update } from "grammy/types";
import { describe, expect, it } from "vitest";
import { BotComposer } from "../src/bot/composer.js";
import { botInfo } from "./support/bot-info.js";

/**
 * BotComposer must behave as grammY's Composer: every scenario here runs on
 * both and must give the same trace and outcome.
 */

const me = botInfo({ id: 1, first_name: "bot", username: "the_bot" });

function text(t: string): Update {
  const command = t.match(/^\/\w+/)?.[0];
  return {
    update_id: 1,
    message: {
      message_id: 1,
      date: 0,
      chat: { id: 7, type: "private", first_name: "a" },
      from: { id: 7, is_bot: false, first_name: "a" },
      text: t,
      ...(command ? { entities: [{ type: "bot_command" as const, offset: 0, length: command.length }] } : {}),
    },
  };
}

function press(data: string): Update {
  return {
    update_id: 2,
    callback_query: { id: "q", from: { id: 7, is_bot: false, first_name: "a" }, chat_instance: "c", data },
  };
}

type Make = () => Composer<Context>;
const makers: [string, Make][] = [
  ["grammY Composer", () => new Composer<Context>()],
  ["BotComposer", () => new BotComposer<Context>()],
];

/** Runs an update through the composer's middleware; the trace and how it ended. */
async function run(composer: Composer<Context>, update: Update, trace: string[]): Promise<string> {
  const ctx = new Context(update, {} as never, me);
  try {
    await composer.middleware()(ctx, async () => {
      trace.push("after");
    });
    return "ok";
  } catch (err) {
    return `threw ${(err as Error).message}`;
  }
}

/** A feature-like composer: filters, commands, buttons, nested and chained composers, a late addition. */
function build(make: Make, trace: string[]): Composer<Context> {
  const root = make();
  root.use(async (_ctx, next) => {
    trace.push("first");
    await next();
    trace.push("first done");
  });
  const feature = make();
  feature.command("start", (ctx) => {
    trace.push(`start:${ctx.match}`);
  });
  feature.callbackQuery(/^go:(\d+)$/, (ctx) => {
    trace.push(`go:${ctx.match?.[1]}`);
  });
  feature.on("message:text").filter(
    (ctx) => ctx.message?.text === "chain",
    (_ctx) => {
      trace.push("chained");
    },
  );
  feature.filter(
    async (ctx) => ctx.message?.text === "async",
    () => {
      trace.push("async");
    },
  );
  feature.on("message::bot_command", async (_ctx, next) => {
    trace.push("command passes");
    await next();
  });
  root.use(feature);
  const later = root.use();
  root.on("message", (_ctx, next) => {
    trace.push("fallback");
    return next();
  });
  // Added after the composer was installed: seen by the next update, as in grammY.
  later.on("message:text", (ctx, next) => {
    trace.push(`later:${ctx.message.text}`);
    return next();
  });
  return root;
}

describe("BotComposer behaves as grammY's Composer", () => {
  const updates = [
    text("/start abc"),
    text("/other"),
    text("chain"),
    text("async"),
    text("hello"),
    press("go:42"),
    press("nope"),
  ];
  for (const update of updates) {
    it(`routes ${JSON.stringify(update.message?.text ?? update.callback_query?.data)} the same`, async () => {
      const results = await Promise.all(
        makers.map(async ([, make]) => {
          const trace: string[] = [];
          const outcome = await run(build(make, trace), update, trace);
          return { trace, outcome };
        }),
      );
      expect(results[1]).toEqual(results[0]);
      expect(results[0]?.trace.length).toBeGreaterThan(1);
    });
  }

  const failures: [string, (c: Composer<Context>) => void][] = [
    [
      "a middleware that throws",
      (c) =>
        c.use(() => {
          throw new Error("boom");
        }),
    ],
    ["a rejected middleware", (c) => c.use(async () => Promise.reject(new Error("async boom")))],
    [
      "a predicate that throws",
      (c) =>
        c.filter(
          () => {
            throw new Error("bad predicate");
          },
          () => undefined,
        ),
    ],
    [
      "next called twice",
      (c) =>
        c.use(async (_ctx, next) => {
          await next();
          await next();
        }),
    ],
  ];
  for (const [name, add] of failures) {
    it(`ends ${name} the same`, async () => {
      const outcomes = await Promise.all(
        makers.map(async ([, make]) => {
          const composer = make();
          const trace: string[] = [];
          add(composer);
          composer.use(((_ctx, next) => {
            trace.push("reached");
            return next();
          }) as MiddlewareFn<Context>);
          return { outcome: await run(composer, text("x"), trace), trace };
        }),
      );
      expect(outcomes[1]).toEqual(outcomes[0]);
      expect(outcomes[0]?.outcome).toMatch(/^threw /);
    });
  }

  it("passes straight on when empty, and calls next once", async () => {
    const trace: string[] = [];
    expect(await run(new BotComposer<Context>(), text("x"), trace)).toBe("ok");
    expect(trace).toEqual(["after"]);
  });
});
