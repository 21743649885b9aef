/**
 * What a row answer writes to the embedded store (SQLite), against the
 * layout it replaced, measured in the same run.
 *
 *   npm run -s bench:embedded
 *
 * Each round fills a 2021-format report (test/fixtures/report-2022.json: its
 * narrative parts from the start, then every cell, about 10 KB in the end
 * like a finished report) one answer at a time, as the bot commits a row
 * answer: the cell, the
 * cursor on, one audit entry, the update id and the acknowledgement, in one
 * transaction, synchronous=FULL. Twice:
 *   fields    the store as it is (src/store/embedded-store.ts: a report is its
 *             fields, one row each; a write touches the rows it changes);
 *   baseline  the write of main at bc25ae9, re-enacted below: the report read
 *             and parsed whole, written back whole as one JSON row.
 * A reader holds a snapshot meanwhile, so the write-ahead log is never reset
 * and its growth is what the answers wrote (SQLite writes whole pages: the
 * bookkeeping tables' pages count as much as the report's). Prints, each on
 * its own line (ratios fields / baseline, the median of three rounds, the
 * range in brackets):
 *   report data written by row answer 13: fields N B in R rows, baseline N B in 1 row, ratio X
 *   report data written by row answer 149: … (one untimed fill each, counted by triggers)
 *   WAL bytes per row answer: fields N, baseline N, ratio X
 *   time per row answer: fields N µs, baseline N µs, ratio X   (wall: mostly the fsync)
 *   user CPU per row answer: fields N µs, baseline N µs, ratio X
 *   late answers / early answers (fields): X   (the last 20 against the first 20)
 * Exits 0 unless something crashed: times on a shared machine are noisy.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { Draft } from "../src/form/draft.js";
import { EmbeddedStore } from "../src/store/embedded-store.js";
import {
  AUDIT_LIMIT,
  type AuditEntry,
  applyChange,
  decodeReport,
  AuditEntry as EntrySchema,
  encode,
  HANDLED_LIMIT,
  newReport,
  newReportId,
  PENDING_ACK_LIMIT,
  PendingAck,
  pendingAck,
  type ReportChange,
  type StoredReport,
  serialiseReport,
  validateChange,
} from "../src/store/store.js";

const ROUNDS = 3;
const USER = 1001;
const full = Draft.parse(
  JSON.parse(readFileSync(new URL("../test/fixtures/report-2022.json", import.meta.url), "utf8")),
);
const answers = Object.entries(full.cells);

/** One row answer: what the bot hands the store. */
type Answer = { updateId: number; report: StoredReport; change: ReportChange; audit: AuditEntry[]; ack: string };
type Writer = { create(): StoredReport; answer(a: Answer): StoredReport; close(): void };

function answerFor(report: StoredReport, i: number): Answer {
  const [cell, value] = answers[i]!;
  return {
    updateId: 1000 + i,
    report,
    change: { draft: { ...report.draft, cells: { ...report.draft.cells, [cell]: value } }, cursor: report.cursor + 1 },
    audit: [{ at: new Date().toISOString(), by: USER, byName: "张 三", target: cell, old: null, new: value }],
    ack: `✅ 已保存：${cell}`,
  };
}

/** The write of main at bc25ae9 (embedded-store.ts commit + writeUpdate), with its tables. */
function baselineWriter(file: string): Writer {
  const db = new Database(file, { timeout: 5000 });
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(`
    CREATE TABLE reports (id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);
    CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL, json TEXT NOT NULL);
    CREATE INDEX audit_by_report ON audit (report_id, seq);
    CREATE TABLE handled (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, update_id INTEGER NOT NULL,
      UNIQUE (user_id, update_id));
    CREATE INDEX handled_by_user ON handled (user_id, seq);
    CREATE TABLE acks (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, update_id INTEGER NOT NULL,
      json TEXT NOT NULL);
    CREATE INDEX acks_by_user ON acks (user_id, seq);
    CREATE TABLE remind_index (report_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
  `);
  const sql = {
    isHandled: db.prepare("SELECT seq FROM handled WHERE user_id = ? AND update_id = ?"),
    get: db.prepare<[string], { json: string }>("SELECT json FROM reports WHERE id = ?"),
    insert: db.prepare("INSERT INTO reports (id, version, json) VALUES (?, ?, ?)"),
    set: db.prepare("UPDATE reports SET version = ?, json = ? WHERE id = ? AND version = ?"),
    touch: db.prepare(
      "INSERT INTO remind_index (report_id, at) VALUES (?, ?) ON CONFLICT (report_id) DO UPDATE SET at = min(at, excluded.at)",
    ),
    addAudit: db.prepare("INSERT INTO audit (report_id, json) VALUES (?, ?)"),
    trimAudit: db.prepare(
      "DELETE FROM audit WHERE report_id = @id AND seq <= (SELECT seq FROM audit WHERE report_id = @id ORDER BY seq DESC LIMIT 1 OFFSET @keep)",
    ),
    addHandled: db.prepare("INSERT INTO handled (user_id, update_id) VALUES (?, ?)"),
    trimHandled: db.prepare(
      "DELETE FROM handled WHERE user_id = @user AND seq <= (SELECT seq FROM handled WHERE user_id = @user ORDER BY seq DESC LIMIT 1 OFFSET @keep)",
    ),
    addAck: db.prepare("INSERT INTO acks (user_id, update_id, json) VALUES (?, ?, ?)"),
    trimAcks: db.prepare(
      "DELETE FROM acks WHERE user_id = @user AND seq <= (SELECT seq FROM acks WHERE user_id = @user ORDER BY seq DESC LIMIT 1 OFFSET @keep)",
    ),
  };
  return {
    create: () => {
      const report = newReport(newReportId(), { draft: { ...full, cells: {} }, members: [USER] }, new Date());
      db.transaction(() => sql.insert.run(report.id, 1, serialiseReport(report))).immediate();
      return report;
    },
    answer: (a) => {
      const entries = a.audit.map((e) => encode(EntrySchema, "audit", e));
      const ack = encode(
        PendingAck,
        "acks",
        pendingAck({ userId: USER, updateId: a.updateId, ack: a.ack }, new Date()),
      );
      return db
        .transaction(() => {
          if (sql.isHandled.get(USER, a.updateId)) throw new Error("repeat");
          const current = decodeReport(`reports/${a.report.id}`, sql.get.get(a.report.id)!.json);
          if (current.version !== a.report.version) throw new Error("conflict");
          validateChange(`reports/${a.report.id}`, current, a.change);
          const next = applyChange(current, a.change, new Date());
          sql.set.run(next.version, serialiseReport(next), next.id, current.version);
          sql.touch.run(next.id, Date.now());
          for (const json of entries) sql.addAudit.run(next.id, json);
          sql.trimAudit.run({ id: next.id, keep: AUDIT_LIMIT });
          sql.addHandled.run(USER, a.updateId);
          sql.trimHandled.run({ user: USER, keep: HANDLED_LIMIT });
          sql.addAck.run(USER, a.updateId, ack);
          sql.trimAcks.run({ user: USER, keep: PENDING_ACK_LIMIT });
          return next;
        })
        .immediate();
    },
    close: () => db.close(),
  };
}

type Round = { walBytes: number; micros: number[]; cpu: number[] };

/** Triggers that record the bytes of report data each write stores (the report's JSON row, or its field rows). */
const COUNTING = `
  CREATE TABLE IF NOT EXISTS written (rows INTEGER NOT NULL, bytes INTEGER NOT NULL);
  CREATE TRIGGER w_reports AFTER UPDATE ON reports BEGIN
    INSERT INTO written VALUES (1, length(CAST(NEW.json AS BLOB))); END;
`;
const COUNTING_FIELDS = `
  CREATE TRIGGER w_fields_set AFTER INSERT ON report_fields BEGIN
    INSERT INTO written VALUES (1, length(CAST(NEW.name AS BLOB)) + length(CAST(NEW.value AS BLOB))); END;
  CREATE TRIGGER w_fields_update AFTER UPDATE ON report_fields BEGIN
    INSERT INTO written VALUES (1, length(CAST(NEW.name AS BLOB)) + length(CAST(NEW.value AS BLOB))); END;
  CREATE TRIGGER w_fields_del AFTER DELETE ON report_fields BEGIN INSERT INTO written VALUES (1, 0); END;
`;

/** Rows and bytes of report data stored per answer, answer by answer (one untimed fill: triggers cost time). */
async function countWritten(kind: "fields" | "baseline"): Promise<{ rows: number; bytes: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), `nianbao-bench-${kind}-`));
  const file = join(dir, "nianbao.sqlite");
  try {
    const writer = kind === "fields" ? await asyncFields(file) : asSync(baselineWriter(file));
    let report = await writer.create();
    const counter = new Database(file, { timeout: 5000 });
    counter.exec(COUNTING);
    // The header row's version counts as a row; its JSON is '' once a report is kept as fields.
    if (kind === "fields") counter.exec(COUNTING_FIELDS);
    const take = counter.prepare<[], { rows: number; bytes: number }>(
      "SELECT count(*) AS rows, coalesce(sum(bytes), 0) AS bytes FROM written",
    );
    const clear = counter.prepare("DELETE FROM written");
    const out: { rows: number; bytes: number }[] = [];
    for (let i = 0; i < answers.length; i++) {
      report = await writer.answer(answerFor(report, i));
      out.push(take.get()!);
      clear.run();
    }
    counter.close();
    writer.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fills one report with every answer; the WAL's growth and each answer's time. */
async function fill(kind: "fields" | "baseline"): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), `nianbao-bench-${kind}-`));
  const file = join(dir, "nianbao.sqlite");
  try {
    const writer = kind === "fields" ? await asyncFields(file) : asSync(baselineWriter(file));
    let report = await writer.create();
    // A reader's snapshot keeps the log from being reset by a checkpoint: it only grows.
    const reader = new Database(file, { readonly: true });
    reader.exec("BEGIN");
    reader.prepare("SELECT count(*) FROM reports").get();
    const before = statSync(`${file}-wal`).size;
    const micros: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < answers.length; i++) {
      const start = performance.now();
      const startCpu = process.cpuUsage();
      report = await writer.answer(answerFor(report, i));
      cpu.push(process.cpuUsage(startCpu).user);
      micros.push((performance.now() - start) * 1000);
    }
    const walBytes = (statSync(`${file}-wal`).size - before) / answers.length;
    reader.exec("COMMIT");
    reader.close();
    writer.close();
    if (Object.keys(report.draft.cells).length !== answers.length) throw new Error(`${kind}: cells lost`);
    return { walBytes, micros, cpu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type AsyncWriter = { create(): Promise<StoredReport>; answer(a: Answer): Promise<StoredReport>; close(): void };

function asSync(w: Writer): AsyncWriter {
  return { create: async () => w.create(), answer: async (a) => w.answer(a), close: () => w.close() };
}

/** The store as it is. */
async function asyncFields(file: string): Promise<AsyncWriter> {
  const store = new EmbeddedStore(file);
  return {
    create: () => store.createReport({ draft: { ...full, cells: {} }, members: [USER] }),
    async answer(a) {
      const result = await store.commit(
        { userId: USER, updateId: a.updateId, ack: a.ack },
        {
          update: {
            id: a.report.id,
            expectedVersion: a.report.version,
            change: a.change,
            audit: a.audit,
            basis: a.report,
          },
        },
      );
      if (result.status !== "applied" || !result.report) throw new Error(`answer: ${result.status}`);
      return result.report;
    },
    close: () => void store.close(),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const spread = (xs: number[]) =>
  `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`;

const rounds: { fields: Round; baseline: Round }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // Alternate the order so neither always runs on a warmer machine.
  const first = r % 2 === 0 ? "fields" : "baseline";
  const a = await fill(first);
  const b = await fill(first === "fields" ? "baseline" : "fields");
  rounds.push(first === "fields" ? { fields: a, baseline: b } : { fields: b, baseline: a });
}
const [countedFields, countedBaseline] = [await countWritten("fields"), await countWritten("baseline")];
const EARLY = 13;
const LATE = Math.min(149, answers.length);
const at = (xs: { rows: number; bytes: number }[], n: number) => xs[n - 1]!;
for (const n of [EARLY, LATE]) {
  const [f, b] = [at(countedFields, n), at(countedBaseline, n)];
  console.log(
    `report data written by row answer ${n}: fields ${f.bytes} B in ${f.rows} rows, ` +
      `baseline ${b.bytes} B in ${b.rows} row, ratio ${(f.bytes / b.bytes).toFixed(3)}`,
  );
}
const wal = (k: "fields" | "baseline") => median(rounds.map((r) => r[k].walBytes));
const time = (k: "fields" | "baseline") => median(rounds.map((r) => median(r[k].micros)));
console.log(
  `WAL bytes per row answer: fields ${Math.round(wal("fields"))}, baseline ${Math.round(wal("baseline"))}, ` +
    `ratio ${spread(rounds.map((r) => r.fields.walBytes / r.baseline.walBytes))}`,
);
console.log(
  `time per row answer: fields ${Math.round(time("fields"))} µs, baseline ${Math.round(time("baseline"))} µs, ` +
    `ratio ${spread(rounds.map((r) => median(r.fields.micros) / median(r.baseline.micros)))}`,
);
const cpu = (k: "fields" | "baseline") => median(rounds.map((r) => median(r[k].cpu)));
console.log(
  `user CPU per row answer: fields ${Math.round(cpu("fields"))} µs, baseline ${Math.round(cpu("baseline"))} µs, ` +
    `ratio ${spread(rounds.map((r) => median(r.fields.cpu) / median(r.baseline.cpu)))}`,
);
const WINDOW = 20;
console.log(
  `late answers / early answers (fields): ${spread(
    rounds.map((r) => median(r.fields.micros.slice(-WINDOW)) / median(r.fields.micros.slice(0, WINDOW))),
  )} (baseline ${spread(
    rounds.map((r) => median(r.baseline.micros.slice(-WINDOW)) / median(r.baseline.micros.slice(0, WINDOW))),
  )}; ${answers.length} answers, medians of the first and last ${WINDOW})`,
);
