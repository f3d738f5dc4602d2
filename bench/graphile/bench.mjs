#!/usr/bin/env node
// Throughput and fire-to-start latency of graphile-worker on a local
// PostgreSQL, measured so that the figures can be set beside Enschedule's on
// the same database server. Run `node bench.mjs --help` for the options.
//
// Output: one JSON object on stdout; progress and a short summary on stderr.

import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import gw from "graphile-worker";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const HELP = `Usage: node bench.mjs [options]

Benchmarks graphile-worker against a local PostgreSQL. It creates a fresh
database (dropping any old one of the same name), runs graphile-worker's
migrations, runs the phases below once for each worker count, prints a JSON
object on stdout and a summary on stderr, and drops the database at the end.

For each worker count W, W separate node processes each run graphile-worker's
run() with the given concurrency, then:
  throughput         --jobs no-op jobs, all due now, are added in one
                     transaction before the workers start; timed from the
                     "go" message to the workers until the jobs table is empty.
  idle               --probes jobs added one at a time, --spacing ms apart,
                     each with run_at = now + --offset ms; each job records
                     (time its task started - run_at).
  idle_prescheduled  the same number of jobs added in one statement before
                     any is due, run_at --spacing ms apart; no other inserts
                     follow, so only polling can find them.
  under_load         as "idle", while no-op jobs are added at --load-rate
                     jobs/s, from 1 s before the first probe until every
                     probe has started.
Each insert wakes an idle worker through NOTIFY, and that worker also takes
any earlier job that has come due; "idle_prescheduled" shows the latency when
nothing but graphile-worker's own polling can find a job.

Options:
  --jobs N             no-op jobs for the throughput phase (default 10000)
  --workers LIST       comma-separated worker process counts (default 1,4)
  --concurrency C      graphile-worker concurrency per process (default 8)
  --poll-interval MS   graphile-worker pollInterval (default: not set, so the
                       library's own default, 2000 ms in 0.16)
  --probes M           latency jobs per latency phase (default 200)
  --spacing MS         gap between latency jobs (default 50)
  --offset MS          run_at - insert time for one-at-a-time probes (default 100)
  --load-rate R        background no-op jobs per second in under_load (default 400)
  --pg URL             server URL without database (default
                       postgres://postgres@127.0.0.1:5432)
  --db NAME            database to create and drop (default graphile_bench)
  --help               show this text
`;

// ---------------------------------------------------------------- options

const { values: args } = parseArgs({
  options: {
    jobs: { type: "string", default: "10000" },
    workers: { type: "string", default: "1,4" },
    concurrency: { type: "string", default: "8" },
    "poll-interval": { type: "string" },
    probes: { type: "string", default: "200" },
    spacing: { type: "string", default: "50" },
    offset: { type: "string", default: "100" },
    "load-rate": { type: "string", default: "400" },
    pg: { type: "string", default: "postgres://postgres@127.0.0.1:5432" },
    db: { type: "string", default: "graphile_bench" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function positiveInt(name, text, allowZero = false) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    console.error(`--${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${text}`);
    process.exit(2);
  }
  return n;
}

const cfg = {
  jobs: positiveInt("jobs", args.jobs),
  workers: args.workers.split(",").map((w) => positiveInt("workers", w.trim())),
  concurrency: positiveInt("concurrency", args.concurrency),
  pollInterval: args["poll-interval"] == null ? null : positiveInt("poll-interval", args["poll-interval"]),
  probes: positiveInt("probes", args.probes),
  spacingMs: positiveInt("spacing", args.spacing),
  offsetMs: positiveInt("offset", args.offset, true),
  loadRate: positiveInt("load-rate", args["load-rate"], true),
  db: args.db,
};
if (!/^[a-z_][a-z0-9_]*$/.test(cfg.db)) {
  console.error("--db must be a plain lower-case identifier");
  process.exit(2);
}
const serverUrl = args.pg.replace(/\/+$/, "");
const adminUrl = `${serverUrl}/postgres`;
const benchUrl = `${serverUrl}/${cfg.db}`;
// graphile-worker needs one pool connection per concurrently running job,
// plus a little headroom for its own queries; its default pool size is 10.
const maxPoolSize = Math.max(10, cfg.concurrency + 2);
// How long the probe phases wait for in-flight jobs to be picked up.
const PRESCHEDULE_LEAD_MS = 500;
const LOAD_LEAD_MS = 1000;
const SETTLE_MS = 1000;
const DB_POLL_MS = 20;

// ---------------------------------------------------------------- helpers

const startedAt = performance.now();
function log(msg) {
  const s = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${s}s] ${msg}\n`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Nearest-rank percentile of a sorted array.
function pct(sorted, p) {
  const i = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[i];
}
function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    min_ms: s[0],
    p50_ms: pct(s, 50),
    p90_ms: pct(s, 90),
    p99_ms: pct(s, 99),
    max_ms: s[s.length - 1],
    mean_ms: Math.round(mean * 10) / 10,
  };
}
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// ------------------------------------------------------ worker processes

// Everything the parent hears from its children goes through here.
const probeSamples = new Map(); // phase -> [{seq, latencyMs, runAtMatches}]
const children = new Set();

function spawnWorkers(n) {
  const childOpts = JSON.stringify({
    connectionString: benchUrl,
    concurrency: cfg.concurrency,
    maxPoolSize,
    pollInterval: cfg.pollInterval,
  });
  const group = [];
  for (let i = 0; i < n; i++) {
    const child = fork(join(here, "worker.mjs"), [childOpts], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const state = { child, loaded: null, listening: null, firstJobAt: null, stopped: null };
    state.loaded = new Promise((res) => (state.onLoaded = res));
    state.listening = new Promise((res) => (state.onListening = res));
    state.stopped = new Promise((res) => (state.onStopped = res));
    state.exited = new Promise((res) => child.on("exit", (code) => res(code)));
    child.on("message", (m) => {
      if (m.t === "loaded") state.onLoaded();
      else if (m.t === "listening") state.onListening();
      else if (m.t === "first") state.firstJobAt = m.at;
      else if (m.t === "probe") {
        if (!probeSamples.has(m.phase)) probeSamples.set(m.phase, []);
        probeSamples.get(m.phase).push(m);
      } else if (m.t === "stopped") state.onStopped(m.counts);
    });
    child.on("exit", (code) => {
      children.delete(child);
      if (code !== 0 && !state.stopping && !cleaningUp) {
        log(`worker process ${child.pid} exited with code ${code}`);
        failure = failure || new Error(`worker process exited with code ${code}`);
      }
    });
    children.add(child);
    group.push(state);
  }
  return group;
}

async function stopWorkers(group) {
  for (const s of group) {
    s.stopping = true;
    s.child.send({ t: "stop" });
  }
  const counts = await Promise.all(group.map((s) => s.stopped));
  await Promise.all(group.map((s) => s.exited));
  return counts.reduce((a, c) => ({ noop: a.noop + c.noop, probe: a.probe + c.probe }), { noop: 0, probe: 0 });
}

// A worker process that dies sets this; the wait loops check it.
let failure = null;
function checkFailure() {
  if (failure) throw failure;
}

// ------------------------------------------------------------- database

async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function dropDatabase() {
  await withClient(adminUrl, (c) => c.query(`drop database if exists ${cfg.db} with (force)`));
}

async function pendingJobs(c) {
  const r = await c.query("select count(*)::int as n from graphile_worker._private_jobs");
  return r.rows[0].n;
}

// Wait until the jobs table is empty; returns performance.now() at the first
// poll that saw it empty.
async function waitForEmpty(c, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    checkFailure();
    const r = await c.query("select exists (select 1 from graphile_worker._private_jobs) as any");
    const now = performance.now();
    if (!r.rows[0].any) return now;
    if (now > deadline) throw new Error(`jobs still pending after ${timeoutMs} ms (${await pendingJobs(c)} left)`);
    await sleep(DB_POLL_MS);
  }
}

// ------------------------------------------------------------ phases

async function throughput(c, w) {
  // Enqueue all jobs, due now, in one transaction.
  const t0 = performance.now();
  await c.query("begin");
  const r = await c.query(
    `select count(*)::int as n from graphile_worker.add_jobs((
       select array_agg(row('noop', null, null, now(), null, null, null, null)::graphile_worker.job_spec)
       from generate_series(1, $1::int)))`,
    [cfg.jobs],
  );
  await c.query("commit");
  const enqueueMs = performance.now() - t0;
  if (r.rows[0].n !== cfg.jobs) throw new Error(`add_jobs returned ${r.rows[0].n} rows, expected ${cfg.jobs}`);
  // Fresh statistics for the planner, as autovacuum would give them soon
  // anyway; not timed.
  await c.query("vacuum analyze graphile_worker._private_jobs");
  log(`W=${w}: enqueued ${cfg.jobs} jobs in ${enqueueMs.toFixed(0)} ms; starting ${w} worker process(es)`);

  const spawnT = performance.now();
  const group = spawnWorkers(w);
  await Promise.all(group.map((s) => s.loaded));
  checkFailure();
  const loadedT = performance.now();

  // The clock starts here: every process gets "go" and calls run().
  const goWall = Date.now();
  const goT = performance.now();
  for (const s of group) s.child.send({ t: "go" });
  let allListeningT = null;
  Promise.all(group.map((s) => s.listening)).then(() => (allListeningT = performance.now()));
  const doneT = await waitForEmpty(c, 10 * 60 * 1000);
  await Promise.all(group.map((s) => s.listening));

  const firsts = group.map((s) => s.firstJobAt).filter((x) => x != null);
  const firstJobMs = firsts.length ? Math.min(...firsts) - goWall : null;
  const wallS = (doneT - goT) / 1000;
  const res = {
    jobs: cfg.jobs,
    enqueue_ms: round(enqueueMs),
    process_start_ms: round(loadedT - spawnT),
    go_to_all_listening_ms: allListeningT == null ? null : round(allListeningT - goT),
    go_to_first_job_ms: firstJobMs,
    wall_s: round(wallS, 3),
    jobs_per_s: round(cfg.jobs / wallS, 0),
    jobs_per_s_from_first_job: firstJobMs == null ? null : round(cfg.jobs / (wallS - firstJobMs / 1000), 0),
  };
  log(`W=${w}: throughput ${res.jobs_per_s} jobs/s (${res.wall_s} s for ${cfg.jobs} jobs)`);
  return { res, group };
}

// One latency phase. `mode` is "one_at_a_time" or "prescheduled";
// loadRate > 0 adds the background stream of no-op jobs.
async function latency(c, loadClient, w, phase, mode, loadRate) {
  const key = `W${w}:${phase}`;
  probeSamples.set(key, []);
  await sleep(SETTLE_MS);

  const windowMs = cfg.probes * cfg.spacingMs;
  let loadInserted = 0;
  let loadDone = null;
  let stopLoad = false;
  if (loadRate > 0) {
    // Add no-op jobs in small batches every 20 ms so that the count added so
    // far follows loadRate * elapsed time.
    loadDone = (async () => {
      const t0 = performance.now();
      while (!stopLoad) {
        checkFailure();
        const target = Math.floor((loadRate * (performance.now() - t0)) / 1000);
        const k = target - loadInserted;
        if (k > 0) {
          await loadClient.query(
            `select count(*) from graphile_worker.add_jobs((
               select array_agg(row('noop', null, null, now(), null, null, null, null)::graphile_worker.job_spec)
               from generate_series(1, $1::int)))`,
            [k],
          );
          loadInserted += k;
        }
        await sleep(20);
      }
    })();
    await sleep(LOAD_LEAD_MS);
  }

  const insertMs = [];
  let lateInserts = 0; // probes whose insert returned after their run_at
  const t0 = performance.now();
  if (mode === "prescheduled") {
    const base = Date.now() + PRESCHEDULE_LEAD_MS;
    const runAts = Array.from({ length: cfg.probes }, (_, i) => base + i * cfg.spacingMs);
    const a = performance.now();
    await c.query(
      `select count(*) from graphile_worker.add_jobs((
         select array_agg(row('probe', json_build_object('phase', $1::text, 'seq', i - 1, 'runAtMs', ms),
                              null, to_timestamp(ms / 1000.0), null, null, null, null)::graphile_worker.job_spec)
         from unnest($2::bigint[]) with ordinality as u(ms, i)))`,
      [key, runAts],
    );
    insertMs.push(performance.now() - a);
    if (Date.now() > base) lateInserts = 1;
  } else {
    for (let i = 0; i < cfg.probes; i++) {
      // Keep to the planned spacing even if an insert ran long.
      const wait = t0 + i * cfg.spacingMs - performance.now();
      if (wait > 0) await sleep(wait);
      checkFailure();
      const runAtMs = Date.now() + cfg.offsetMs;
      const a = performance.now();
      await c.query(
        `select graphile_worker.add_job('probe', $1::json, run_at => to_timestamp($2::bigint / 1000.0))`,
        [JSON.stringify({ phase: key, seq: i, runAtMs }), runAtMs],
      );
      insertMs.push(performance.now() - a);
      if (Date.now() > runAtMs) lateInserts++;
    }
  }

  // Jobs still queued (probes and load) when the last probe went in: if the
  // workers kept up with the load, this stays small.
  const backlogAtLastProbe = loadDone ? await pendingJobs(c) : null;

  // Wait for every probe to report. The load keeps flowing until then, so
  // that the last probes also start under load.
  const deadline = performance.now() + windowMs + 60_000;
  while (probeSamples.get(key).length < cfg.probes) {
    checkFailure();
    if (performance.now() > deadline) throw new Error(`${key}: only ${probeSamples.get(key).length} of ${cfg.probes} probes ran`);
    await sleep(DB_POLL_MS);
  }
  if (loadDone) {
    stopLoad = true;
    await loadDone;
  }
  await waitForEmpty(c, 60_000);

  const samples = probeSamples.get(key);
  if (samples.some((s) => !s.runAtMatches)) throw new Error(`${key}: a job's run_at in the database differs from the one requested`);
  const ins = [...insertMs].sort((a, b) => a - b);
  const res = {
    mode,
    ...stats(samples.map((s) => s.latencyMs)),
    over_100ms: samples.filter((s) => s.latencyMs > 100).length,
    over_1000ms: samples.filter((s) => s.latencyMs > 1000).length,
    insert_p50_ms: round(pct(ins, 50), 2),
    insert_max_ms: round(ins[ins.length - 1], 2),
    inserts_returning_after_run_at: lateInserts,
  };
  if (loadRate > 0) {
    Object.assign(res, {
      load_rate_per_s: loadRate,
      load_jobs_added: loadInserted,
      jobs_pending_at_last_probe_insert: backlogAtLastProbe,
    });
  }
  log(`W=${w}: ${phase}: p50 ${res.p50_ms} ms, p99 ${res.p99_ms} ms, max ${res.max_ms} ms`);
  return res;
}

// ------------------------------------------------------------------ main

function effectivePollInterval() {
  if (cfg.pollInterval != null) return cfg.pollInterval;
  try {
    return require("graphile-worker/dist/config.js").makeWorkerPresetWorkerOptions().pollInterval;
  } catch {
    return null;
  }
}

async function main() {
  const gwVersion = JSON.parse(readFileSync(require.resolve("graphile-worker/package.json"), "utf8")).version;
  const pgVersion = JSON.parse(readFileSync(require.resolve("pg/package.json"), "utf8")).version;
  const out = {
    bench: "graphile-worker",
    started_at: new Date().toISOString(),
    versions: { "graphile-worker": gwVersion, pg: pgVersion, node: process.version, postgres: null },
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? null,
      loadavg_at_start: os.loadavg().map((x) => round(x, 2)),
      loadavg_at_end: null,
    },
    options: {
      jobs: cfg.jobs,
      workers: cfg.workers,
      concurrency: cfg.concurrency,
      pollInterval: cfg.pollInterval,
      pollInterval_effective_ms: effectivePollInterval(),
      maxPoolSize,
      probes: cfg.probes,
      spacing_ms: cfg.spacingMs,
      offset_ms: cfg.offsetMs,
      prescheduled_lead_ms: PRESCHEDULE_LEAD_MS,
      load_rate_per_s: cfg.loadRate,
      load_lead_ms: LOAD_LEAD_MS,
      settle_before_each_latency_phase_ms: SETTLE_MS,
      db_poll_ms: DB_POLL_MS,
      graphile_logger: "warnings and errors only",
      database: cfg.db,
    },
    method: {
      throughput: "jobs added in one transaction before the workers start; clock from 'go' to all worker processes until the first poll that finds graphile_worker._private_jobs empty",
      latency: "Date.now() at the start of the task minus the job's requested run_at (both from the same machine clock); percentiles are nearest-rank",
      idle: "probes added one at a time, each due offset_ms after its insert; the NOTIFY of each insert wakes an idle worker, which also takes earlier probes already due",
      idle_prescheduled: "all probes added in one statement prescheduled_lead_ms before the first is due; no later inserts, so workers find them only by polling",
      under_load: "as idle, while no-op jobs are added at load_rate_per_s in batches every 20 ms, from load_lead_ms before the first probe until every probe has started",
    },
    results: {},
  };

  log(`graphile-worker ${gwVersion}, node ${process.version}; creating database ${cfg.db}`);
  await dropDatabase();
  await withClient(adminUrl, (c) => c.query(`create database ${cfg.db}`));
  await gw.runMigrations({ connectionString: benchUrl, logger: quietLogger() });

  const c = new pg.Client({ connectionString: benchUrl });
  const loadClient = new pg.Client({ connectionString: benchUrl });
  for (const client of [c, loadClient]) {
    // Dropping the database on interrupt ends these connections from the
    // server side; that is expected then, and a failed query reports anyway.
    client.on("error", (err) => {
      if (!cleaningUp) log(`database connection error: ${err.message}`);
    });
  }
  await c.connect();
  await loadClient.connect();
  try {
    out.versions.postgres = (await c.query("show server_version")).rows[0].server_version;
    for (const w of cfg.workers) {
      const { res: tp, group } = await throughput(c, w);
      const r = { throughput: tp, latency: {} };
      out.results[`workers_${w}`] = r;
      r.latency.idle = await latency(c, loadClient, w, "idle", "one_at_a_time", 0);
      r.latency.idle_prescheduled = await latency(c, loadClient, w, "idle_prescheduled", "prescheduled", 0);
      r.latency.under_load = await latency(c, loadClient, w, "under_load", "one_at_a_time", cfg.loadRate);
      const counts = await stopWorkers(group);
      const expectedNoop = cfg.jobs + r.latency.under_load.load_jobs_added;
      r.task_calls = { noop: counts.noop, probe: counts.probe, expected_noop: expectedNoop, expected_probe: 3 * cfg.probes };
      if (counts.noop !== expectedNoop || counts.probe !== 3 * cfg.probes) {
        throw new Error(`W=${w}: task call counts ${JSON.stringify(counts)} differ from the jobs added`);
      }
      log(`W=${w}: workers stopped; ${counts.noop} no-op and ${counts.probe} probe task calls`);
    }
  } finally {
    await c.end().catch(() => {});
    await loadClient.end().catch(() => {});
  }
  out.machine.loadavg_at_end = os.loadavg().map((x) => round(x, 2));
  out.total_run_s = round((performance.now() - startedAt) / 1000, 1);
  return out;
}

function quietLogger() {
  return new gw.Logger(() => (level, message) => {
    if (level === "error" || level === "warning") console.error(`[migrate] ${level}: ${message}`);
  });
}

function summary(out) {
  const lines = [
    "",
    `graphile-worker ${out.versions["graphile-worker"]} on PostgreSQL ${out.versions.postgres}, node ${out.versions.node}, ${out.machine.cpus} CPUs`,
    `concurrency ${out.options.concurrency} per process, pollInterval ${out.options.pollInterval_effective_ms} ms, ${out.options.jobs} jobs for throughput`,
  ];
  for (const [k, r] of Object.entries(out.results)) {
    const w = k.replace("workers_", "");
    const l = r.latency;
    lines.push(
      `W=${w}: ${r.throughput.jobs_per_s} jobs/s | fire-to-start p50/p99 ms: ` +
        `idle ${l.idle.p50_ms}/${l.idle.p99_ms}, ` +
        `idle pre-scheduled ${l.idle_prescheduled.p50_ms}/${l.idle_prescheduled.p99_ms}, ` +
        `under load ${l.under_load.p50_ms}/${l.under_load.p99_ms}`,
    );
  }
  lines.push(`load average ${out.machine.loadavg_at_start.join(" ")} at start, ${out.machine.loadavg_at_end.join(" ")} at end; ${out.total_run_s} s in all`);
  return lines.join("\n") + "\n";
}

let cleaningUp = false;
async function cleanup() {
  cleaningUp = true;
  for (const child of children) child.kill();
  try {
    await dropDatabase();
    log(`dropped database ${cfg.db}`);
  } catch (err) {
    log(`could not drop database ${cfg.db}: ${err.message}`);
  }
}

process.on("SIGINT", async () => {
  log("interrupted; cleaning up");
  await cleanup();
  process.exit(130);
});

let code = 0;
try {
  const out = await main();
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  process.stderr.write(summary(out));
} catch (err) {
  log(`failed: ${err.stack || err}`);
  code = 1;
}
await cleanup();
process.exit(code);
