import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "nianbao-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command line as the README runs it (`npm run -s nianbao -- …`): the same entry point. */
function nianbao(...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { encoding: "utf8" });
  const findings = result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { severity: string; rule: string; numbers: number[] });
  return { code: result.status, findings, stderr: result.stderr };
}

const write = (name: string, value: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
};

describe("nianbao check", () => {
  it("prints the seed's 44 vs 41 and exits 0: warnings only", () => {
    const { code, findings } = nianbao("check", "test/fixtures/seed-2020.json");
    expect(code).toBe(0);
    expect(findings.find((f) => f.rule === "A9-sum")?.numbers).toEqual([44, 41]);
    expect(findings.filter((f) => f.severity === "error")).toEqual([]);
  });
  it("exits 1 when an error is found", () => {
    const report = JSON.parse(readFileSync("test/fixtures/report-2022.json", "utf8"));
    report.cells["apply.new.natural"] = 13;
    const { code, findings } = nianbao("check", write("wrong.json", report));
    expect(code).toBe(1);
    expect(findings.map((f) => f.rule)).toContain("A1");
  });
  it("compares with last year's file given with --previous", () => {
    const last = JSON.parse(readFileSync("test/fixtures/report-2022.json", "utf8"));
    last.year = 2021;
    last.cells["apply.carried_out.natural"] = 5;
    const { code, findings } = nianbao(
      "check",
      "test/fixtures/report-2022.json",
      "--previous",
      write("last.json", last),
    );
    expect(code).toBe(0);
    expect(findings.map((f) => f.rule)).toContain("C1");
  });
  it("ends quietly, with the command's exit code, when the reader closes the pipe (| head -1)", () => {
    const report = JSON.parse(readFileSync("test/fixtures/report-2022.json", "utf8"));
    for (const id of Object.keys(report.cells)) report.cells[id] += 7;
    const wrong = write("many-errors.json", report);
    // `true` reads nothing and exits at once: every line the command writes meets a closed pipe.
    const piped = (file: string) =>
      spawnSync(
        "bash",
        ["-c", `"$0" --import tsx src/cli.ts check "$1" | true; exit \${PIPESTATUS[0]}`, process.execPath, file],
        {
          encoding: "utf8",
        },
      );
    const errors = piped(wrong);
    expect(errors.stderr).toBe("");
    expect(errors.status).toBe(1);
    const clean = piped("test/fixtures/seed-2020.json");
    expect(clean.stderr).toBe("");
    expect(clean.status).toBe(0);
  });
  it("exits 2 with the message on stderr when the file is unreadable", () => {
    const { code, stderr } = nianbao("check", write("bad.json", { org: "某街道", year: 2022, cells: { "x.y": 1 } }));
    expect(code).toBe(2);
    expect(stderr).toContain('"x.y"');
    expect(nianbao("check", join(dir, "missing.json")).code).toBe(2);
  });
});

describe("nianbao render", () => {
  it("writes the document", () => {
    const out = join(dir, "seed.docx");
    const { code } = nianbao("render", "test/fixtures/seed-2020.json", "--out", out);
    expect(code).toBe(0);
    expect(readFileSync(out).subarray(0, 2).toString()).toBe("PK");
  });
  it("writes a 草稿 and says so when the report has errors", () => {
    const report = JSON.parse(readFileSync("test/fixtures/report-2022.json", "utf8"));
    report.cells["apply.new.natural"] = 13;
    const out = join(dir, "draft.docx");
    const { code, stderr } = nianbao("render", write("wrong.json", report), "--out", out);
    expect(code).toBe(0);
    expect(stderr).toContain("草稿");
    expect(existsSync(out)).toBe(true);
  });
});

describe("nianbao import", () => {
  it("writes the seed text as an interchange file that check reads, and says what it read", () => {
    const out = join(dir, "seed-imported.json");
    const { code, stderr } = nianbao("import", "test/fixtures/seed-report-2020.txt", "--out", out);
    expect(code).toBe(0);
    expect(stderr).toContain("读到 大关街道 2020 年的报告：表格 198 格、正文 8 部分");
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(
      JSON.parse(readFileSync("test/fixtures/seed-2020.json", "utf8")),
    );
    expect(nianbao("check", out).findings.find((f) => f.rule === "A9-sum")?.numbers).toEqual([44, 41]);
  });
  it("takes --org and --year", () => {
    const out = join(dir, "named.json");
    expect(
      nianbao("import", "test/fixtures/seed-report-2020.txt", "--out", out, "--org", "某街道", "--year", "2020").code,
    ).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).org).toBe("某街道");
  });
  it("exits 2 with the reason for a file that is not a report, and writes nothing", () => {
    const out = join(dir, "not.json");
    const { code, stderr } = nianbao("import", write("old.doc", "\xd0\xcf\x11\xe0"), "--out", out);
    expect(code).toBe(2);
    expect(stderr).toMatch(/读不了|损坏/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("nianbao failures: one line on stderr and exit 2 (1 stays 'the report has errors')", () => {
  const seed = () => JSON.parse(readFileSync("test/fixtures/seed-2020.json", "utf8"));
  const oneLine = (stderr: string) => {
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
  };

  it("--help prints the usage and exits 0; --version prints the version", () => {
    const help = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: nianbao check FILE/);
    const version = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "--version"], { encoding: "utf8" });
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^nianbao \d+\.\d+\.\d+\n$/);
  });

  it("answers an unknown option with the usage and exit 2, no stack trace", () => {
    const { code, stderr } = nianbao("check", "--bogus", "test/fixtures/seed-2020.json");
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--bogus'");
    expect(stderr).toContain("usage: nianbao");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("render --out into a missing folder", () => {
    const { code, stderr } = nianbao("render", "test/fixtures/seed-2020.json", "--out", join(dir, "no", "x.docx"));
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot write .*ENOENT/);
    oneLine(stderr);
  });

  it("deeply nested JSON is refused before parsing, without a stack overflow", () => {
    const deep = `{"org":"x","year":2022,"narrative":${"[".repeat(200_000)}${"]".repeat(200_000)}}`;
    const { code, stderr } = nianbao("check", write("deep.json", deep));
    expect(code).toBe(2);
    expect(stderr).toContain("层次太深");
    oneLine(stderr);
  });

  it("decodes strictly: GBK is refused, a UTF-8 BOM is accepted", () => {
    const gbk = Buffer.from([...Buffer.from('{"org":"'), 0xb4, 0xf3, 0xb9, 0xd8, ...Buffer.from('","year":2020}')]);
    writeFileSync(join(dir, "gbk.json"), gbk);
    const gbkRun = nianbao("check", join(dir, "gbk.json"));
    expect(gbkRun.code).toBe(2);
    expect(gbkRun.stderr).toContain("不是 UTF-8");
    oneLine(gbkRun.stderr);
    writeFileSync(join(dir, "bom.json"), `\uFEFF${readFileSync("test/fixtures/seed-2020.json", "utf8")}`);
    expect(nianbao("check", join(dir, "bom.json")).code).toBe(0);
  });

  it("bounds every figure: 1e308 and -1e308 do not load", () => {
    for (const value of [1e308, -1e308, 10_000_001]) {
      const report = seed();
      report.cells["active.rules.made"] = value;
      const { code, stderr } = nianbao("render", write("huge.json", report), "--out", join(dir, "huge.docx"));
      expect(code).toBe(2);
      expect(stderr).toContain("超出了这一格能填的范围");
      oneLine(stderr);
    }
  });

  it("refuses a narrative part over 20,000 characters", () => {
    const report = seed();
    report.narrative.problems = "字".repeat(20_001);
    const { code, stderr } = nianbao("check", write("long.json", report));
    expect(code).toBe(2);
    expect(stderr).toContain("太长了");
  });

  it("refuses a file over 1 MB by its size, before reading it", () => {
    const report = seed();
    report.junk = "x".repeat(2 * 1024 * 1024);
    const { code, stderr } = nianbao("check", write("big.json", report));
    expect(code).toBe(2);
    expect(stderr).toContain("文件太大");
    oneLine(stderr);
  });

  it("says where JSON is broken, in Chinese", () => {
    const cut = nianbao("check", write("cut.json", '{"org": "x", "year": '));
    expect(cut.stderr).toContain("内容在中途断了");
    const comma = nianbao("check", write("comma.json", '{\n  "org": "x",\n}'));
    expect(comma.stderr).toContain("第 3 行第 1 列附近格式不对");
    expect(comma.stderr).not.toMatch(/Unexpected|Expected/);
  });
});
