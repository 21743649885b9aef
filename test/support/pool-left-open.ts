import { renderPool } from "../../src/render-pool.js";
import { fixture } from "./fixtures.js";

/**
 * A program that renders once with a kept-ready render process and never closes the pool (render-pool tests):
 * it must still end. Prints the render process's id.
 */
const pool = renderPool({ minProcesses: 1, worker: new URL("./probe-render-worker.ts", import.meta.url) });
const answer = JSON.parse(String(await pool.render(fixture("report-2022"), {}))) as { pid: number };
console.log(answer.pid);
