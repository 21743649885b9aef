import { flowRegistry } from "../src/form/flow-registry.js";
import { loadFlow } from "../src/form/load-flow.js";
import { govInfo2019 } from "./gov-info-2019.js";
import { govInfo2021 } from "./gov-info-2021.js";

/**
 * The official formats, validated once when this module loads. A new format
 * is a new flow file added here; its `years` place it.
 */
export const flows = flowRegistry([
  loadFlow(govInfo2019, "flows/gov-info-2019.ts"),
  loadFlow(govInfo2021, "flows/gov-info-2021.ts"),
]);

export const flowFor = flows.flowFor;
export const formatForYear = flows.formatForYear;
