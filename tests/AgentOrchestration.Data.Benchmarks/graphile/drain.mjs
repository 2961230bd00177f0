// The graphile-worker baseline: adds N no-op jobs in bulk, starts a worker with the given concurrency and times it
// until every job has succeeded. Run by the benchmark harness (GraphileWorkerBaseline.cs), which installs graphile-worker
// with npm into a temp folder and passes that folder; prints one JSON line with the result.
// Usage: node drain.mjs <node_modules parent dir> <connection string> <jobs> <concurrency>
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, connectionString, jobsText, concurrencyText] = process.argv.slice(2);
const jobs = Number(jobsText);
const concurrency = Number(concurrencyText);
if (!modules || !connectionString || !(jobs > 0) || !(concurrency > 0)) {
  console.error("usage: node drain.mjs <dir with node_modules> <connection string> <jobs> <concurrency>");
  process.exit(2);
}

const require = createRequire(path.join(path.resolve(modules), "package.json"));
const { run, runMigrations, makeWorkerUtils } = await import(pathToFileURL(require.resolve("graphile-worker")).href);
const { Logger } = await import(pathToFileURL(require.resolve("graphile-worker")).href);
const logger = new Logger((scope) => (level, message) => { if (level === "error") console.error(message); });

await runMigrations({ connectionString, logger });
const utils = await makeWorkerUtils({ connectionString, logger });
const chunk = 10000;
for (let start = 0; start < jobs; start += chunk) {
  const specs = [];
  for (let i = start; i < Math.min(jobs, start + chunk); i++) specs.push({ identifier: "noop", payload: { i } });
  await utils.addJobs(specs);
}
await utils.release();

let succeeded = 0;
let failed = 0;
const started = process.hrtime.bigint();
let finish;
const drained = new Promise((resolve) => { finish = resolve; });
const runner = await run({
  connectionString,
  concurrency,
  maxPoolSize: concurrency + 2,
  noHandleSignals: true,
  pollInterval: 1000,
  logger,
  taskList: { noop: async () => {} },
});
runner.events.on("job:success", () => { if (++succeeded === jobs) finish(); });
runner.events.on("job:error", () => { failed++; });
const timeout = setTimeout(() => finish(), 600000);
await drained;
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
clearTimeout(timeout);
await runner.stop();

// Exactly once: every job succeeded once and none is left in the queue.
const check = await makeWorkerUtils({ connectionString, logger });
const left = await check.withPgClient((client) => client.query("SELECT count(*)::int AS n FROM graphile_worker.jobs"));
await check.release();
console.log(JSON.stringify({ jobs, concurrency, succeeded, failed, left: left.rows[0].n, seconds: elapsed }));
process.exit(succeeded === jobs && failed === 0 && left.rows[0].n === 0 ? 0 : 1);
