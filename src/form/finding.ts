import { z } from "zod";
import { Severity } from "./flow-schema.js";

/** One problem the checks found, in words an officer understands. */
export const Finding = z.object({
  severity: Severity,
  rule: z.string(),
  cells: z.array(z.string()),
  numbers: z.array(z.number()),
  message: z.string(),
});
export type Finding = z.infer<typeof Finding>;
