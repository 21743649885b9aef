/**
 * Callback data: short, versioned, never trusted. `1|<action>|<reportId>|<arg>`
 * stays far below Telegram's 64 bytes; whoever presses is checked against the
 * report's members by the handler.
 */

const VERSION = "1";
export const ACTIONS = {
  rowZero: "z",
  tableZero: "t",
  previous: "p",
  skip: "s",
  partDone: "d",
  partReuse: "y",
  partClear: "x",
  sections: "m",
  section: "l",
  goto: "g",
  card: "c",
  reports: "r",
  settings: "e",
  finalize: "f",
  importFile: "i",
} as const;
export type Action = keyof typeof ACTIONS;

const CODES = new Map<string, Action>(Object.entries(ACTIONS).map(([name, code]) => [code, name as Action]));
const REPORT_ID = /^[A-Za-z0-9_-]{1,16}$/;
const ARG = /^[A-Za-z0-9_-]{0,24}$/;

export interface Callback {
  action: Action;
  reportId: string;
  arg: string;
}

export function encodeCallback(action: Action, reportId: string, arg: string | number = ""): string {
  const data = [VERSION, ACTIONS[action], reportId, String(arg)].join("|");
  if (!REPORT_ID.test(reportId) || !ARG.test(String(arg)) || Buffer.byteLength(data) > 64)
    throw new Error(`callback data out of shape: ${data}`);
  return data;
}

export function decodeCallback(data: string | undefined): Callback | undefined {
  if (data === undefined || data.length > 64) return undefined;
  const [version, code, reportId, arg, ...rest] = data.split("|");
  const action = code === undefined ? undefined : CODES.get(code);
  if (version !== VERSION || !action || rest.length > 0 || reportId === undefined || arg === undefined)
    return undefined;
  if (!REPORT_ID.test(reportId) || !ARG.test(arg)) return undefined;
  return { action, reportId, arg };
}
