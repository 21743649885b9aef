import { cellArrayOf, cellIndex, patchedIds } from "./cell-array.js";
import { type CheckUnit, checkInput, checkUnits, type Previous } from "./check-report.js";
import { type Draft, NARRATIVE_IDS, type NarrativeId } from "./draft.js";
import type { Finding } from "./finding.js";
import type { Flow } from "./flow-schema.js";

/**
 * Incremental checks: the findings of a draft kept per check unit, so the
 * next draft re-runs only the units that read what changed. The result is
 * always what checkReport gives on the new draft (test/recheck.test.ts).
 */
export interface Checked {
  flow: Flow;
  draft: Draft;
  previous: Previous | undefined;
  /** Findings per unit of checkUnits(flow), in order. */
  byUnit: readonly (readonly Finding[])[];
  findings: Finding[];
  /** How many units were run to get here. */
  ran: number;
}

const NONE: readonly Finding[] = Object.freeze([]);

/** Every unit on the draft: what checkReport does, kept per unit. */
export function checkAll(flow: Flow, draft: Draft, previous: Previous | undefined): Checked {
  const all = checkUnits(flow);
  return recheckUnits(flow, draft, previous, all, new Dirty(all.length, true));
}

/** The findings of `draft`, re-running only the units of `base` that read a changed cell, part, name or last year. */
export function recheck(base: Checked, draft: Draft, previous: Previous | undefined): Checked {
  if (base.draft.format !== draft.format)
    throw new Error(`recheck across formats (${base.draft.format} → ${draft.format}): use checkAll`);
  const all = checkUnits(base.flow);
  const dirty = new Dirty(all.length);
  const reads = readTable(base.flow);
  const a = base.draft;
  // Only cells some unit reads can make a unit dirty, and units read a cell by its value alone (an
  // empty cell and a missing one read alike), so the read cells' values are compared, nothing else.
  // They are compared in the drafts' cell arrays (cell-array.ts: kept per draft, so the base's is
  // already there), not by looking each id up in two freshly copied records.
  if (a.cells !== draft.cells) {
    const before = cellArrayOf(base.flow, a);
    const after = cellArrayOf(base.flow, draft);
    const compare = ({ id, slot, units }: CellReads) => {
      const changed = slot === undefined ? a.cells[id] !== draft.cells[id] : before[slot] !== after[slot];
      if (changed) dirty.add(units);
    };
    // An answer's draft knows the few cells it set; any other pair compares every read cell.
    const patched = patchedIds(a.cells, draft.cells);
    if (patched)
      for (const id of patched) {
        const read = reads.cellById.get(id);
        if (read) compare(read);
      }
    else for (const read of reads.cells) compare(read);
  }
  if (a.narrative !== draft.narrative)
    for (const { id, units } of reads.parts) if (a.narrative[id] !== draft.narrative[id]) dirty.add(units);
  if (a.org !== draft.org) dirty.add(reads.org);
  if (a.year !== draft.year || a.date !== draft.date || a.contact !== draft.contact) dirty.add(reads.fields);
  if (!sameDraft(base.previous?.draft, previous?.draft) || base.previous?.flow !== previous?.flow)
    dirty.add(reads.previous);
  return recheckUnits(base.flow, draft, previous, all, dirty, base);
}

/**
 * A stamp per unit index, shared by every Dirty: unit i is flagged in the Dirty
 * whose stamp stamps[i] holds. Rechecks run one after another (synchronous),
 * so one array serves them all, and an answer allocates no flag array of its
 * own (a typed array of a few hundred bytes lives outside the heap).
 */
let stamps = new Uint32Array(0);
let lastStamp = 0;

/** The units to run, by index: the flagged indices in the order they were flagged. */
class Dirty {
  readonly list: number[];
  private readonly stamp: number;

  constructor(length: number, all = false) {
    if (stamps.length < length || lastStamp === 0xffffffff) {
      stamps = new Uint32Array(Math.max(length, stamps.length));
      lastStamp = 0;
    }
    this.stamp = ++lastStamp;
    this.list = [];
    if (all) for (let i = 0; i < length; i++) this.flag(i);
  }

  get size(): number {
    return this.list.length;
  }

  add(units: readonly number[]): void {
    for (const i of units) this.flag(i);
  }

  private flag(i: number): void {
    if (stamps[i] === this.stamp) return;
    stamps[i] = this.stamp;
    this.list.push(i);
  }
}

function recheckUnits(
  flow: Flow,
  draft: Draft,
  previous: Previous | undefined,
  all: readonly CheckUnit[],
  dirty: Dirty,
  base?: Pick<Checked, "byUnit" | "findings">,
): Checked {
  const input = dirty.size > 0 ? checkInput(flow, draft, previous) : undefined;
  const before = base?.byUnit ?? [];
  // Most answers change no unit's findings (a unit re-run finds nothing, as before): the base's lists are
  // then kept as they are, and only a unit whose findings change makes new ones.
  let byUnit: (readonly Finding[])[] | undefined;
  // Only the flagged units are visited: an answer flags a few dozen of the flow's hundreds.
  for (let k = 0; input && k < dirty.list.length; k++) {
    const i = dirty.list[k]!;
    const ran = all[i]!.run(input);
    const was = before[i] ?? NONE;
    if (ran.length === 0 && was.length === 0 && base) continue;
    byUnit ??= base ? before.slice() : new Array(all.length).fill(NONE);
    byUnit[i] = ran.length === 0 ? NONE : ran;
  }
  if (!byUnit && base) return { flow, draft, previous, byUnit: base.byUnit, findings: base.findings, ran: dirty.size };
  const units = byUnit ?? new Array(all.length).fill(NONE);
  // Plain loops: a unit's list is read on every answer that changes any findings.
  const findings: Finding[] = [];
  for (let i = 0; i < units.length; i++) {
    const found = units[i]!;
    for (let k = 0; k < found.length; k++) findings.push(found[k]!);
  }
  return { flow, draft, previous, byUnit: units, findings, ran: dirty.size };
}

const ORG = "org";
const FIELDS = "fields";
const cellKey = (id: string) => `c:${id}`;
const partKey = (id: string) => `p:${id}`;

/** `slot`: the cell's index in cellIndex(flow), when the flow knows the id. */
type CellReads = { id: string; slot: number | undefined; units: readonly number[] };

/** Who reads what: each cell and part some unit reads, with those units; the units reading the rest. */
interface ReadTable {
  cells: readonly CellReads[];
  cellById: ReadonlyMap<string, CellReads>;
  parts: readonly { id: NarrativeId; units: readonly number[] }[];
  org: readonly number[];
  fields: readonly number[];
  previous: readonly number[];
}

const tables = new WeakMap<Flow, ReadTable>();

/** The flow's read table, built once per flow from its units' reads. */
function readTable(flow: Flow): ReadTable {
  const known = tables.get(flow);
  if (known) return known;
  const cells = new Map<string, number[]>();
  const parts = new Map<NarrativeId, number[]>();
  const add = <K>(map: Map<K, number[]>, key: K, unit: number) => {
    const list = map.get(key);
    if (list) list.push(unit);
    else map.set(key, [unit]);
  };
  const table = { org: [] as number[], fields: [] as number[], previous: [] as number[] };
  checkUnits(flow).forEach(({ reads }, i) => {
    for (const id of reads.cells) add(cells, id, i);
    for (const id of reads.parts) add(parts, id, i);
    if (reads.org) table.org.push(i);
    if (reads.fields) table.fields.push(i);
    if (reads.previous) table.previous.push(i);
  });
  const cellReads = [...cells].map(([id, units]) => ({ id, slot: cellIndex(flow).slot.get(id), units }));
  const made: ReadTable = {
    ...table,
    cells: cellReads,
    cellById: new Map(cellReads.map((read) => [read.id, read])),
    parts: [...parts].map(([id, units]) => ({ id, units })),
  };
  tables.set(flow, made);
  return made;
}

/** The read keys in which two drafts of one format differ. */
function changedKeys(a: Draft, b: Draft): string[] {
  const keys: string[] = [];
  if (a.cells !== b.cells) {
    for (const id in a.cells) if (a.cells[id] !== b.cells[id] || !Object.hasOwn(b.cells, id)) keys.push(cellKey(id));
    for (const id in b.cells) if (!Object.hasOwn(a.cells, id)) keys.push(cellKey(id));
  }
  if (a.narrative !== b.narrative)
    for (const id of NARRATIVE_IDS) if (a.narrative[id] !== b.narrative[id]) keys.push(partKey(id));
  if (a.org !== b.org) keys.push(ORG);
  if (a.year !== b.year || a.date !== b.date || a.contact !== b.contact) keys.push(FIELDS);
  return keys;
}

/** Whether two drafts hold the same content (last year's report is compared as a whole). */
export function sameDraft(a: Draft | undefined, b: Draft | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.format === b.format && changedKeys(a, b).length === 0;
}
