// One graphile-worker process, started by bench.mjs with child_process.fork().
//
// It talks to the parent over the IPC channel:
//   parent -> child  {t: "go"}    call graphile-worker's run() and start taking jobs
//   parent -> child  {t: "stop"}  stop the runner, report counts, exit
//   child -> parent  {t: "loaded"}     modules imported, ready for "go"
//   child -> parent  {t: "listening"}  run() is up and LISTENing for new jobs
//   child -> parent  {t: "first", at}  wall-clock ms when the first no-op job started
//   child -> parent  {t: "probe", ...} one latency sample (see the `probe` task)
//   child -> parent  {t: "stopped", counts}
//
// Settings come in as one JSON argument: connectionString, concurrency,
// maxPoolSize, and pollInterval (null means graphile-worker's own default).

import { EventEmitter } from "node:events";
import gw from "graphile-worker";

const { run, Logger } = gw;
const opts = JSON.parse(process.argv[2]);

// graphile-worker logs one INFO line per completed job by default. Printing
// thousands of lines would mostly measure the terminal, so keep only
// warnings and errors.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") {
    console.error(`[worker ${process.pid}] ${level}: ${message}`);
  }
});

const counts = { noop: 0, probe: 0 };
let firstSent = false;

const taskList = {
  // Does nothing: one job is one call of this function.
  noop: async () => {
    counts.noop++;
    if (!firstSent) {
      firstSent = true;
      process.send({ t: "first", at: Date.now() });
    }
  },
  // Latency probe: how late did this job start compared with the run_at the
  // bench asked for? The clock is read first thing in the task.
  probe: async (payload, helpers) => {
    const startedAt = Date.now();
    counts.probe++;
    const runAtDb = helpers.job.run_at instanceof Date ? helpers.job.run_at.getTime() : Date.parse(helpers.job.run_at);
    process.send({
      t: "probe",
      phase: payload.phase,
      seq: payload.seq,
      latencyMs: startedAt - payload.runAtMs,
      runAtMatches: runAtDb === payload.runAtMs,
    });
  },
};

let runner = null;
const events = new EventEmitter();
events.on("pool:listen:success", () => process.send({ t: "listening" }));

process.on("message", async (msg) => {
  if (msg.t === "go") {
    const options = {
      connectionString: opts.connectionString,
      concurrency: opts.concurrency,
      maxPoolSize: opts.maxPoolSize,
      taskList,
      parsedCronItems: [],
      logger,
      events,
      noHandleSignals: true,
    };
    if (opts.pollInterval != null) options.pollInterval = opts.pollInterval;
    try {
      runner = await run(options);
    } catch (err) {
      console.error(`[worker ${process.pid}] run() failed: ${err.stack || err}`);
      process.exit(1);
    }
  } else if (msg.t === "stop") {
    if (runner) await runner.stop();
    process.send({ t: "stopped", counts }, () => process.exit(0));
  }
});

// If the parent goes away, do not linger.
process.on("disconnect", () => process.exit(0));

process.send({ t: "loaded" });
