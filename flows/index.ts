import type { FormatId } from "../src/form/draft.js";
import type { Flow } from "../src/form/flow-schema.js";
import { loadFlow } from "../src/form/load-flow.js";
import { govInfo2019 } from "./gov-info-2019.js";
import { govInfo2021 } from "./gov-info-2021.js";

/** The official formats, validated once when this module loads. */
const flows: Record<FormatId, Flow> = {
  "2019": loadFlow(govInfo2019, "flows/gov-info-2019.ts"),
  "2021": loadFlow(govInfo2021, "flows/gov-info-2021.ts"),
};

export function flowFor(format: FormatId): Flow {
  return flows[format];
}
