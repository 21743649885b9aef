import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../src/config.js";
import { startFakeTelegram } from "./support/fake-telegram.js";
import { freePort } from "./support/private-redis.js";

/**
 * `docker build` cannot run here: the Dockerfile and compose.yaml are checked
 * structurally, and the bot is started as the image starts it (its CMD, its
 * ENV, as an unprivileged user), with the image's HEALTHCHECK run against it.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TOKEN = "987654321:AADeployTokenForTestsOnly_0123456789";
const NOBODY = 65534;
/** As root (CI) the bot drops to nobody with setpriv; a developer's shell is unprivileged already. */
const IS_ROOT = process.getuid?.() === 0;
const RUN_AS = IS_ROOT ? NOBODY : (process.getuid?.() ?? NOBODY);

type Instruction = { op: string; args: string };

/** Dockerfile instructions per stage (continuation lines joined, comments dropped). */
function dockerStages(text: string): Instruction[][] {
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const stages: Instruction[][] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) continue;
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(trimmed) ?? [];
    if (!op || args === undefined) throw new Error(`unreadable Dockerfile line: ${trimmed}`);
    if (op.toUpperCase() === "FROM") stages.push([]);
    stages.at(-1)?.push({ op: op.toUpperCase(), args: args.trim() });
  }
  return stages;
}

const dockerfile = dockerStages(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const runtime = dockerfile.at(-1)!;
const all = (op: string) => runtime.filter((i) => i.op === op);
const one = (op: string) => {
  const found = all(op);
  expect(found, op).toHaveLength(1);
  return found[0]!.args;
};

/** ENV a=b c=d of the runtime stage. */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of all("ENV")) for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
  return env;
}

/**
 * The image's /app: what the runtime stage COPYs, readable by everyone as in
 * the image (the code belongs to root there). The checkout itself may sit in
 * a folder the unprivileged user cannot enter (`mktemp -d` makes it 0700).
 */
function imageApp(): string {
  const app = mkdtempSync(join(tmpdir(), "nianbao-app-"));
  const workdir = one("WORKDIR");
  for (const { args } of all("COPY")) {
    const [from, ...rest] = args.split(/\s+/).filter((a) => !a.startsWith("--"));
    const to = rest.pop() ?? from;
    for (const source of [from!, ...rest]) {
      // A --from=deps source is the deps stage's /app: this checkout's installed node_modules.
      const local = join(ROOT, source.startsWith(`${workdir}/`) ? source.slice(workdir.length + 1) : source);
      const target = to!.endsWith("/") ? join(app, to!, source.split("/").pop()!) : join(app, to!);
      mkdirSync(join(target, ".."), { recursive: true });
      const copied = spawnSync("cp", ["-a", local, target], { encoding: "utf8" });
      if (copied.status !== 0) throw new Error(`COPY ${args}: ${copied.stderr}`);
    }
  }
  const readable = spawnSync("chmod", ["-R", "a+rX", app], { encoding: "utf8" });
  if (readable.status !== 0) throw new Error(`chmod: ${readable.stderr}`);
  chmodSync(app, 0o755);
  return app;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("the Dockerfile", () => {
  it("builds in one stage and runs in a second, slim one", () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile[0]![0]!.args).toMatch(/^node:\d+-\S*slim AS deps$/);
    expect(runtime[0]!.args).toMatch(/^node:\d+-\S*slim AS runtime$/);
    // The runtime gets the built node_modules, and no compilers.
    expect(all("COPY").some((c) => c.args.includes("--from=deps") && c.args.includes("node_modules"))).toBe(true);
    expect(all("RUN").some((r) => /apt-get|g\+\+|make/.test(r.args))).toBe(false);
    expect(dockerfile[0]!.some((i) => i.op === "RUN" && i.args.includes("npm ci --omit=dev"))).toBe(true);
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
    for (const path of ["node_modules", "test", ".git", "data"]) expect(ignored).toContain(path);
  });

  it("runs as a non-root user with a healthcheck, node as the entry point, no secret baked in", () => {
    expect(["root", "0", ""]).not.toContain(one("USER"));
    expect(one("HEALTHCHECK")).toMatch(/--interval=\S+ .*CMD \[/);
    expect(one("HEALTHCHECK")).toContain("/healthz");
    const cmd = JSON.parse(one("CMD")) as string[];
    expect(cmd[0]).toBe("node"); // not npm, which would swallow SIGTERM
    const env = imageEnv();
    expect(env.HEALTH_PORT).toMatch(/^\d+$/);
    expect(Object.keys(env)).not.toContain("BOT_TOKEN");
    expect(one("EXPOSE").split(/\s+/)).toEqual(expect.arrayContaining(["8080", env.HEALTH_PORT]));
    expect(one("VOLUME")).toContain(env.DATA_DIR);
    // The image's environment plus a token is a valid configuration.
    expect(loadConfig({ ...env, BOT_TOKEN: TOKEN }).HEALTH_PORT).toBe(Number(env.HEALTH_PORT));
  });

  it("starts the bot as the image would: its CMD and ENV, as an unprivileged user; the healthcheck passes", async () => {
    const telegram = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => telegram.close());
    const data = mkdtempSync(join(tmpdir(), "nianbao-image-"));
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    if (IS_ROOT) chownSync(data, NOBODY, NOBODY);
    const healthPort = String(await freePort());
    const env = {
      PATH: process.env.PATH ?? "",
      ...imageEnv(),
      DATA_DIR: data,
      HEALTH_PORT: healthPort,
      BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: telegram.apiRoot,
    };
    const asUser = IS_ROOT ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"] : [];
    const [cmd, ...args] = [...asUser, ...(JSON.parse(one("CMD")) as string[])];
    const app = imageApp();
    cleanups.push(() => rmSync(app, { recursive: true, force: true }));
    const child = spawn(cmd!, args, { cwd: app, env, stdio: ["ignore", "pipe", "pipe"] });
    cleanups.push(() => void (child.exitCode === null && child.kill("SIGKILL")));
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const until = Date.now() + 20_000;
    while (!telegram.calls.some((c) => c.method === "getUpdates")) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`the bot did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    // It wrote its store as the unprivileged user.
    expect(statSync(join(data, "nianbao.sqlite")).uid).toBe(RUN_AS);
    expect(RUN_AS).not.toBe(0);

    const healthcheck = JSON.parse(one("HEALTHCHECK").replace(/^.*?CMD /, "")) as string[];
    const [checkCmd, ...checkArgs] = [...asUser, ...healthcheck];
    const check = spawnSync(checkCmd!, checkArgs, { env, encoding: "utf8" });
    expect(check.status, check.stderr).toBe(0);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    // And the healthcheck fails once it is gone.
    expect(spawnSync(healthcheck[0]!, healthcheck.slice(1), { env }).status).toBe(1);
  }, 40_000);
});

describe("compose.yaml", () => {
  const compose = parseYaml(readFileSync(join(ROOT, "compose.yaml"), "utf8")) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };

  it("runs the bot on the Redis beside it, after Redis is healthy", () => {
    const bot = compose.services.bot!;
    expect(bot.build).toBe(".");
    const env = bot.environment as Record<string, string>;
    expect(env.REDIS_URL).toMatch(/^redis:\/\/redis:6379/);
    expect(env.BOT_TOKEN).toMatch(/^\$\{BOT_TOKEN:\?/); // required, never written in the file
    expect(env.REDIS_ALLOW_NO_AOF).toBeUndefined();
    expect(bot.depends_on).toEqual({ redis: { condition: "service_healthy" } });
    expect(bot.restart).toBe("unless-stopped");
    // Longer than the drain's bound, so SIGTERM is not cut short by SIGKILL.
    const grace = Number(/^(\d+)s$/.exec(String(bot.stop_grace_period))?.[1]);
    expect(grace * 1000).toBeGreaterThan(loadConfig({ BOT_TOKEN: TOKEN }).SHUTDOWN_TIMEOUT_MS);
  });

  it("runs Redis with AOF on, its data in a named volume", () => {
    const redis = compose.services.redis!;
    const command = redis.command as string[];
    expect(command[0]).toBe("redis-server");
    expect(command[command.indexOf("--appendonly") + 1]).toBe("yes");
    expect(["always", "everysec"]).toContain(command[command.indexOf("--appendfsync") + 1]);
    const [volume, mount] = String((redis.volumes as string[])[0]).split(":");
    expect(mount).toBe("/data");
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(redis.healthcheck).toMatchObject({ test: ["CMD", "redis-cli", "ping"] });
  });
});
