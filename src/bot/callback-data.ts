import { REPORT_ASKS, SETTING_FIELDS } from "./report-settings.js";

/**
 * Callback data: short, versioned, never trusted. `1|<action>|<reportId>|<arg>`
 * stays far below Telegram's 64 bytes. Each action declares the kind of its
 * argument here, and decoding checks it, so no handler parses a raw argument;
 * whoever presses is checked against the report's members (callbacks.ts).
 */

/** A step of the report's form, or a section of its flow: digits, checked against the flow once the report is known. */
const STEP = { kind: "step" } as const;
const SECTION = { kind: "section" } as const;
const NONE = { kind: "none" } as const;
/** A page of a list: digits, any number. */
const PAGE = { kind: "page" } as const;
const oneOf = <const T extends readonly string[]>(...values: T) => ({ kind: "oneOf", values }) as const;

export const CARD_BUTTONS = ["fill", "check", "preview", "report", "settings"] as const;
export const REPORT_BUTTONS = ["list", "open", "sw", "mv", "rm", "rmok"] as const;
export const FINALIZE_BUTTONS = ["draft", "ok"] as const;
/** `y` or `n` and the pending import's token (6 random bytes, base64url). */
const IMPORT_CHOICE = { kind: "pattern", pattern: /^[yn][A-Za-z0-9_-]{8}$/ } as const;
/** A report read from a document: `p` (last year's), `d` (this year's draft) or `n`, and the pending read's token. */
const READ_CHOICE = { kind: "pattern", pattern: /^[pdn][A-Za-z0-9_-]{8}$/ } as const;

export const ACTIONS = {
  rowZero: { code: "z", arg: STEP },
  tableZero: { code: "t", arg: STEP },
  previous: { code: "p", arg: STEP },
  skip: { code: "s", arg: STEP },
  partDone: { code: "d", arg: STEP },
  partReuse: { code: "y", arg: STEP },
  partClear: { code: "x", arg: STEP },
  /** 撤回这条: the part's step, the length of the text one message appended, and the stamp of the part it left (views/question.ts). */
  partUndo: { code: "R", arg: { kind: "pattern", pattern: /^\d{1,4}_\d{1,5}_[A-Za-z0-9_-]{6}$/ } },
  sections: { code: "m", arg: NONE },
  section: { code: "l", arg: SECTION },
  goto: { code: "g", arg: STEP },
  card: { code: "c", arg: oneOf(...CARD_BUTTONS) },
  reports: { code: "r", arg: oneOf(...REPORT_BUTTONS) },
  settings: { code: "e", arg: oneOf(...SETTING_FIELDS) },
  finalize: { code: "f", arg: oneOf(...FINALIZE_BUTTONS) },
  importFile: { code: "i", arg: IMPORT_CHOICE },
  importRead: { code: "j", arg: READ_CHOICE },
  history: { code: "h", arg: PAGE },
  /** Confirms the row's values pre-filled from last year's report. */
  rowPrefill: { code: "w", arg: STEP },
  // Campaigns: `submit` and `review` name a report; `dashboard`, `collect`, `campaignDates`, `unit` and `join` a campaign.
  submit: { code: "S", arg: oneOf("ok") },
  review: { code: "V", arg: oneOf("ok", "back") },
  /** A filter letter (campaign/dashboard.ts) and a page. */
  dashboard: { code: "D", arg: { kind: "pattern", pattern: /^[anfsrp]\d{1,3}$/ } },
  /** /collect of the campaign chosen among several. */
  collect: { code: "C", arg: NONE },
  /** /dates: an administrator changes the campaign's internal due date and publication deadline. */
  campaignDates: { code: "A", arg: NONE },
  /** v preview, d .docx, r 催办, m members, and the unit id. */
  unit: { code: "U", arg: { kind: "pattern", pattern: /^[vdrm]u\d{1,4}$/ } },
  join: { code: "J", arg: oneOf("attach", "new") },
  /** The Telegram user id of the officer to remove. */
  removeOfficer: { code: "X", arg: { kind: "pattern", pattern: /^\d{1,15}$/ } },
  /** /links of the campaign chosen among several. */
  linksOf: { code: "K", arg: NONE },
  /** A unit id, or `s` for the supervisors' link. */
  links: { code: "L", arg: { kind: "pattern", pattern: /^(u\d{1,4}|s)$/ } },
  /** From a reminder: open the report at its next open question. */
  resume: { code: "u", arg: NONE },
  /** /new of a unit and year the officer has already: a new one anyway; the argument is how many there were. */
  newSame: { code: "a", arg: PAGE },
  /** From the 1 December message: create next year's report from this one. */
  newYear: { code: "n", arg: NONE },
  /** /settings: reminders of this report on or off for the presser. */
  mute: { code: "q", arg: oneOf("on", "off") },
  // /report, before a final document: the date and contact it asks for, each warning, the web page.
  /** 用这个: the suggested 成文日期 as shown, YYYYMMDD (checked as a date of the report's range). */
  reportDate: { code: "B", arg: { kind: "pattern", pattern: /^\d{8}$/ } },
  /** 改日期 / 填写联系方式: the setting's dialogue, going on with /report. */
  reportAsk: { code: "b", arg: oneOf(...REPORT_ASKS) },
  /** 跳过 the contact (it stays a warning to confirm). */
  skipContact: { code: "o", arg: NONE },
  /** `c` the warning at this index is confirmed, `a` all are; then the stamp of the warnings the officer saw. */
  warning: { code: "k", arg: { kind: "pattern", pattern: /^[ca]\d{1,3}[A-Za-z0-9_-]{6}$/ } },
  /** 网页版: the report as one .html. */
  web: { code: "v", arg: NONE },
  /** The create-report wizard's year buttons (no report yet: NO_REPORT); the wizard checks the range. */
  year: { code: "Y", arg: { kind: "pattern", pattern: /^\d{4}$/ } },
} as const;

/** The report id of a button pressed before any report exists (the create-report wizard). */
export const NO_REPORT = "-";
export type Action = keyof typeof ACTIONS;
type ArgSpec = (typeof ACTIONS)[Action]["arg"];

type ArgOf<S extends ArgSpec> = S extends { kind: "step" | "section" | "page" }
  ? number
  : S extends { kind: "oneOf"; values: readonly (infer V)[] }
    ? V
    : S extends { kind: "none" }
      ? ""
      : string;

/** A decoded button of one action, its argument already of the declared kind. */
export type CallbackOf<A extends Action> = {
  [K in A]: { action: K; reportId: string; arg: ArgOf<(typeof ACTIONS)[K]["arg"]> };
}[A];
export type Callback = CallbackOf<Action>;

const VERSION = "1";
const CODES = new Map<string, Action>(Object.entries(ACTIONS).map(([name, spec]) => [spec.code, name as Action]));
const REPORT_ID = /^[A-Za-z0-9_-]{1,16}$/;
const ARG = /^[A-Za-z0-9_-]{0,24}$/;
/** Digits only: Number() would also read "" as 0 and "1e1" as 10 from forged data. */
const INDEX = /^\d{1,6}$/;

/** The data of a button. The argument is only checked for shape, so tests can forge any argument. */
export function encodeCallback(action: Action, reportId: string, arg: string | number = ""): string {
  const data = `${VERSION}|${ACTIONS[action].code}|${reportId}|${arg}`;
  // The checked parts are ASCII, so the length is the byte length.
  if (!REPORT_ID.test(reportId) || !ARG.test(String(arg)) || data.length > 64)
    throw new Error(`callback data out of shape: ${data}`);
  return data;
}

function parseArg(spec: ArgSpec, raw: string): string | number | undefined {
  switch (spec.kind) {
    case "none":
      return raw === "" ? raw : undefined;
    case "step":
    case "section":
    case "page":
      return INDEX.test(raw) ? Number(raw) : undefined;
    case "oneOf":
      return (spec.values as readonly string[]).includes(raw) ? raw : undefined;
    case "pattern":
      return spec.pattern.test(raw) ? raw : undefined;
  }
}

/** The envelope of a button: version, action and report id checked, the argument still raw. */
export interface Envelope {
  action: Action;
  reportId: string;
  raw: string;
}

/**
 * The last data decoded and its envelope: a button press is decoded by the
 * guard in create-bot and again by each feature's button handler it passes,
 * all with the same data. The envelope depends on the data alone; it is
 * shared, so callers only read it.
 */
let last: { data: string; envelope: Readonly<Envelope> | undefined } | undefined;

export function decodeEnvelope(data: string | undefined): Readonly<Envelope> | undefined {
  if (data === undefined) return undefined;
  if (last?.data === data) return last.envelope;
  const envelope = readEnvelope(data);
  last = { data, envelope };
  return envelope;
}

function readEnvelope(data: string): Envelope | undefined {
  if (data.length > 64) return undefined;
  const [version, code, reportId, raw, ...rest] = data.split("|");
  const action = code === undefined ? undefined : CODES.get(code);
  if (version !== VERSION || !action || rest.length > 0 || reportId === undefined || raw === undefined)
    return undefined;
  if (!REPORT_ID.test(reportId) || !ARG.test(raw)) return undefined;
  return { action, reportId, raw };
}

/** What kind of argument an action takes. */
export const argKind = (action: Action): ArgSpec["kind"] => ACTIONS[action].arg.kind;

/** The button with its argument parsed as its action declares, or undefined when the argument is out of shape. */
export function parseCallback(envelope: Readonly<Envelope>): Callback | undefined {
  const arg = parseArg(ACTIONS[envelope.action].arg, envelope.raw);
  return arg === undefined ? undefined : ({ action: envelope.action, reportId: envelope.reportId, arg } as Callback);
}

/** The button, or undefined for anything out of shape (the shared refusal answers it). */
export function decodeCallback(data: string | undefined): Callback | undefined {
  const envelope = decodeEnvelope(data);
  return envelope && parseCallback(envelope);
}
