import fc from "fast-check";
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

/**
 * A random middleware tree: composers, filters whose predicate holds or not
 * (sync, async or throwing), handlers. Not `next` called twice: grammY lets
 * the last middleware of a chain do it unchecked, which no handler relies on
 * (the case above covers the check).
 */
type Node =
  | { kind: "use"; built: boolean; children: Node[] }
  | { kind: "filter"; when: "yes" | "no" | "async yes" | "async no" | "throws"; children: Node[] }
  | { kind: "handler"; calls: "next" | "stop" | "throws"; async: boolean };

const tree = fc.letrec<{ node: Node; nodes: Node[] }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({
      kind: fc.constant("handler" as const),
      calls: fc.constantFrom("next" as const, "next" as const, "next" as const, "stop" as const, "throws" as const),
      async: fc.boolean(),
    }),
    // `built`: a composer made on its own and then passed to use (a feature), else the one use() returns.
    fc.record({
      kind: fc.constant("use" as const),
      built: fc.boolean(),
      children: tie("nodes") as fc.Arbitrary<Node[]>,
    }),
    fc.record({
      kind: fc.constant("filter" as const),
      when: fc.constantFrom(
        "yes" as const,
        "no" as const,
        "no" as const,
        "async yes" as const,
        "async no" as const,
        "throws" as const,
      ),
      children: tie("nodes") as fc.Arbitrary<Node[]>,
    }),
  ),
  nodes: fc.array(tie("node") as fc.Arbitrary<Node>, { maxLength: 5 }),
}));

/** Installs the tree on a composer; every handler and predicate writes its path to the trace. */
function install(composer: Composer<Context>, make: Make, nodes: Node[], trace: string[], path: string): void {
  nodes.forEach((node, i) => {
    const at = `${path}.${i}`;
    if (node.kind === "use" && node.built) {
      const feature = make();
      install(feature, make, node.children, trace, at);
      composer.use(feature);
    } else if (node.kind === "use") install(composer.use(), make, node.children, trace, at);
    else if (node.kind === "filter") {
      const when = node.when;
      const predicate = (): boolean | Promise<boolean> => {
        trace.push(`${at}?`);
        if (when === "throws") throw new Error(`predicate ${at}`);
        if (when === "yes" || when === "no") return when === "yes";
        return Promise.resolve(when === "async yes");
      };
      install(composer.filter(predicate), make, node.children, trace, at);
    } else {
      composer.use(async (_ctx, next) => {
        trace.push(at);
        if (node.async) await Promise.resolve();
        if (node.calls === "throws") throw new Error(`handler ${at}`);
        if (node.calls === "stop") return;
        await next();
        trace.push(`${at} done`);
      });
    }
  });
}

describe("BotComposer on random middleware trees", () => {
  it("gives grammY's trace and outcome for every tree", async () => {
    await fc.assert(
      fc.asyncProperty(tree.nodes, async (nodes) => {
        const results = await Promise.all(
          makers.map(async ([, make]) => {
            const composer = make();
            const trace: string[] = [];
            install(composer, make, nodes, trace, "");
            return { outcome: await run(composer, text("x"), trace), trace };
          }),
        );
        expect(results[1]).toEqual(results[0]);
      }),
      { numRuns: 500 },
    );
  });
});
