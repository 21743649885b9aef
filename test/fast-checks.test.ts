import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { Draft, NARRATIVE_IDS } from "../src/form/draft.js";
import { isAuditEntry, isDatetime, isPendingAck, isPosition, isUserState } from "../src/store/fast-checks.js";
import {
  AuditEntry,
  draftChangeFits,
  PendingAck,
  Position,
  recordDiff,
  StoreDataError,
  UserState,
  validated,
} from "../src/store/store.js";
import { fixture } from "./support/fixtures.js";

/*
 * The hand-written checks stand in for zod on the hot path, so each must say
 * "yes" only to what its schema accepts as it is. Values are drawn near the
 * schemas: valid ones, and valid ones with a key set to an odd value, added
 * or removed, at any depth.
 */

/** Values a field must be told apart from. */
const odd = fc.constantFrom<unknown>(
  undefined,
  null,
  "",
  "x",
  "2021-02-30T00:00:00Z",
  "2021-02-28T24:00:00Z",
  "2021-02-28T08:00:00+08:00",
  "2021-02-28T08:00Z",
  "2024-02-29T23:59:59.123456Z",
  "a".repeat(41),
  "b".repeat(201),
  0,
  -1,
  1.5,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  [],
  {},
  [1, 2],
  ["r", 1, [1]],
  ["", 1, [1]],
  ["r", -1, [1]],
  ["r", 1, [Number.NaN]],
  ["r", 1, [1], "extra"],
  ["a", "b", 1, 2],
  ["a", "b", 1],
  { reportId: "r", step: 1 },
  { reportId: "", step: 1 },
  { reportId: "r", step: 1, x: 1 },
  { a: 1, b: null },
  { a: "1" },
);

const datetime = fc
  .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const text = fc.string({ minLength: 1, maxLength: 12 });
const count = fc.nat({ max: 1000 });
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

const auditEntry = fc.record(
  {
    at: datetime,
    by: fc.integer({ min: 1, max: 2 ** 40 }),
    byName: fc.string(),
    target: text,
    old: fc.oneof(fc.constant(null), fc.string(), finite),
    new: fc.oneof(fc.constant(null), fc.string(), finite),
    source: fc.string({ maxLength: 200 }),
  },
  { requiredKeys: ["at", "by", "target", "old", "new"] },
);
const position = fc.record(
  {
    reportId: text,
    step: count,
    messageId: fc.integer({ min: 1, max: 2 ** 31 }),
    previous: count,
    seen: fc.dictionary(fc.string(), fc.oneof(fc.constant(null), finite)),
  },
  { requiredKeys: ["reportId", "step", "messageId"] },
);
const userState = fc.record(
  { currentReportId: text, position, interrupted: fc.string({ minLength: 1, maxLength: 40 }) },
  { requiredKeys: [] },
);
const ackRef = fc.record(
  {
    row: fc.tuple(text, count, fc.array(finite, { maxLength: 4 })),
    before: fc.string(),
    notes: fc.array(fc.string(), { maxLength: 3 }),
    findings: fc.array(fc.oneof(fc.string(), fc.tuple(fc.string(), fc.string(), finite, finite)), { maxLength: 3 }),
  },
  { requiredKeys: ["row"] },
);
const pendingAck = fc
  .tuple(
    fc.record(
      { updateId: fc.integer(), at: datetime, next: fc.record({ reportId: text, step: count }) },
      { requiredKeys: ["updateId", "at"] },
    ),
    fc.oneof(
      fc.record({ text: fc.string() }),
      fc.record({ ref: ackRef }),
      fc.record({ text: fc.string(), ref: ackRef }),
    ),
  )
  .map(([a, b]) => ({ ...a, ...b }));

/** `value` with one change somewhere inside: a key (or array element) set to an odd value, or removed. */
function mutated(value: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (typeof v !== "object" || v === null) return;
    paths.push(path);
    if (Array.isArray(v)) for (const [i, x] of v.entries()) walk(x, [...path, i]);
    else for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  if (paths.length === 0) return fc.constant(value);
  return fc
    .tuple(fc.constantFrom(...paths), fc.oneof(fc.constantFrom("x", "target", "at", "step", "text"), fc.string()), odd)
    .map(([path, key, replacement]) => {
      const copy = structuredClone(value) as Record<string | number, unknown>;
      let at: Record<string | number, unknown> = copy;
      for (const p of path) at = at[p] as Record<string | number, unknown>;
      const keys = Object.keys(at);
      const target = keys.length > 0 && key.length % 2 === 0 ? keys[key.length % keys.length]! : key;
      if (Array.isArray(at) && !keys.includes(target)) at.push(replacement);
      else if (replacement === undefined && key.length % 3 === 0) delete at[target];
      else at[target] = replacement;
      return copy;
    });
}

const near = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof(valid, valid.chain(mutated), valid.chain(mutated).chain(mutated));

const cases: [string, (x: unknown) => boolean, z.ZodType, fc.Arbitrary<unknown>][] = [
  ["AuditEntry", isAuditEntry, AuditEntry, auditEntry],
  ["Position", isPosition, Position, position],
  ["UserState", isUserState, UserState, userState],
  ["PendingAck", isPendingAck, PendingAck, pendingAck],
];

// First in the file: before any time was accepted, the remembered one must not let anything through.
describe("isDatetime", () => {
  it("remembers only a time it accepted: nothing else passes for it, before or after", () => {
    for (const x of [undefined, null, "", 0, "2026-01-10"]) expect(isDatetime(x)).toBe(false);
    expect(isDatetime("2026-01-10T08:00:00.000Z")).toBe(true);
    expect(isDatetime("2026-01-10T08:00:00.000Z")).toBe(true);
    for (const x of [undefined, "", "2026-01-10T08:00:00.000"]) expect(isDatetime(x)).toBe(false);
  });
});

describe("the hand-written checks accept only what their schema accepts, as it is", () => {
  for (const [name, check, schema, valid] of cases) {
    it(name, () => {
      let accepted = 0;
      fc.assert(
        fc.property(near(valid), (value) => {
          if (!check(value)) return;
          accepted++;
          const parsed = schema.safeParse(value);
          expect(parsed.success).toBe(true);
          // The same record once stored (JSON keeps no undefined key, nor a named property of an array).
          const stored = (x: unknown) => JSON.parse(JSON.stringify(x));
          expect(stored(parsed.data)).toEqual(stored(value));
        }),
        { numRuns: 3000 },
      );
      // Most values the bot writes take the fast path (it is what makes the check worth having).
      expect(accepted).toBeGreaterThan(300);
    });
  }

  it("accept the records the bot writes", () => {
    expect(
      isAuditEntry({ at: "2026-01-10T08:00:00.000Z", by: 7, byName: "王", target: "a.b", old: null, new: 3 }),
    ).toBe(true);
    expect(isPosition({ reportId: "r", step: 3, messageId: 9, seen: { "a.b": null, "a.c": 2 } })).toBe(true);
    expect(isPendingAck({ updateId: 5, ref: { row: ["2021", 4, [1, 2, 3]] }, at: "2026-01-10T08:00:00.000Z" })).toBe(
      true,
    );
  });

  it("leave a stored __proto__ key to the schema, which drops it", () => {
    const stored = JSON.parse('{"reportId":"r","step":0,"messageId":1,"seen":{"__proto__":0}}');
    expect(isPosition(stored)).toBe(false);
    expect(isUserState({ position: stored })).toBe(false);
  });

  it("validated() refuses through the schema, naming the key", () => {
    expect(() => validated(Position, "users/4", { reportId: "r", step: -1, messageId: 1 })).toThrow(StoreDataError);
    expect(() => validated(Position, "users/4", { reportId: "r", step: -1, messageId: 1 })).toThrow(/users\/4.*step/s);
  });
});

describe("draftChangeFits (validateChange's path for an answer)", () => {
  const current = fixture("report-2022");
  const ids = Object.keys(current.cells);
  const cellValue = fc.oneof(finite, odd);
  const change = fc.record(
    {
      cells: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...ids), fc.string()), cellValue), { maxLength: 4 }),
      dropCell: fc.option(fc.constantFrom(...ids)),
      parts: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NARRATIVE_IDS), fc.string()), fc.oneof(fc.string(), odd)), {
        maxLength: 2,
      }),
      head: fc.option(fc.tuple(fc.constantFrom("org", "year", "format", "date", "contact", "extra"), odd)),
    },
    { requiredKeys: ["cells", "parts"] },
  );

  it("says yes only to a draft Draft accepts", () => {
    let accepted = 0;
    fc.assert(
      fc.property(change, ({ cells, dropCell, parts, head }) => {
        const draft = { ...current, cells: { ...current.cells }, narrative: { ...current.narrative } } as Record<
          string,
          unknown
        > & { cells: Record<string, unknown>; narrative: Record<string, unknown> };
        for (const [id, v] of cells) draft.cells[id] = v;
        if (dropCell) delete draft.cells[dropCell];
        for (const [id, v] of parts) draft.narrative[id] = v;
        if (head) draft[head[0]] = head[1];
        const next = draft as unknown as Draft;
        if (!draftChangeFits(current, next, recordDiff(current.cells, draft.cells))) return;
        accepted++;
        expect(Draft.safeParse(next).success).toBe(true);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
