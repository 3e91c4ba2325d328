// Run code inside MicroPython's WebAssembly port (npm package
// @micropython/micropython-webassembly-pyscript) and speak a JSON-lines
// protocol: one request per line on stdin, one response per line on stdout.
//
// Usage: node runner.mjs [--heapsize=BYTES[k|m]] [--pystack=WORDS]
//   (env ULEARN_MPVM_HEAPSIZE / ULEARN_MPVM_PYSTACK work too; args win)
//
// First line written is {"ready":true,...} (or {"ready":false,"error":...}).
// Requests / responses (all responses carry "ok"; failures carry "error"):
//   {"op":"exec","code":S}          -> {"ok":true,"out":S,"err":S}
//                                      {"ok":false,"out":S,"err":S,"error":TRACEBACK,"type":EXC_NAME}
//   {"op":"write_file","path":P,"data":B64} -> {"ok":true}
//   {"op":"read_file","path":P}     -> {"ok":true,"data":B64}
//   {"op":"mkdir","path":P}         -> {"ok":true}            (mkdir -p)
//   {"op":"listdir","path":P}       -> {"ok":true,"entries":[...]}
//   {"op":"remove","path":P}        -> {"ok":true}            (file or empty dir)
//   {"op":"exists","path":P}        -> {"ok":true,"exists":B}
//   {"op":"ping"}                   -> {"ok":true}
// Filesystem failures carry "code" (e.g. "ENOENT").
//
// Notes on this port: `heapsize` is only the INITIAL GC heap; the heap grows
// on demand (new areas of up to 128 MiB, until wasm memory hits 2 GiB), so it
// does not cap memory. gc.collect() only schedules a collection, which runs
// when the top-level runPython call returns.

import { createInterface } from "node:readline";

// Protocol output goes through this function only; anything else that would
// print to stdout (Emscripten's console.log fallback) is diverted to stderr.
const protoWrite = process.stdout.write.bind(process.stdout);
const send = (obj) => protoWrite(JSON.stringify(obj) + "\n");
console.log = console.info = console.debug = (...a) => console.error(...a);

function option(name, envName, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = arg ? arg.slice(name.length + 3) : process.env[envName];
  if (raw === undefined || raw === "") return fallback;
  const m = /^(\d+)([kKmM]?)$/.exec(raw.trim());
  if (!m) throw new Error(`bad --${name} value: ${raw}`);
  const mult = { "": 1, k: 1024, m: 1024 * 1024 }[m[2].toLowerCase()];
  return parseInt(m[1], 10) * mult;
}

const PKG = "@micropython/micropython-webassembly-pyscript";
let mp;
let outBuf = [];
let errBuf = [];
try {
  const heapsize = option("heapsize", "ULEARN_MPVM_HEAPSIZE", 2 * 1024 * 1024);
  const pystack = option("pystack", "ULEARN_MPVM_PYSTACK", 2048);
  // A bare specifier resolves from this file's directory (tools/mpvm/node_modules).
  const { loadMicroPython } = await import(PKG);
  const t0 = performance.now();
  mp = await loadMicroPython({
    heapsize,
    pystack,
    linebuffer: false, // byte-wise callbacks: keeps output exact, incl. a last line without "\n"
    stdout: (bytes) => outBuf.push(...bytes),
    stderr: (bytes) => errBuf.push(...bytes),
    stdin: () => null, // EOF: never let Python read our protocol stream
  });
  send({ ready: true, load_ms: performance.now() - t0, heapsize, pystack });
} catch (e) {
  const missing = e && e.code === "ERR_MODULE_NOT_FOUND";
  send({
    ready: false,
    missing_package: missing,
    error: missing ? `npm package ${PKG} is not installed: ${e.message}` : String((e && e.stack) || e),
  });
  process.exit(1);
}

const decode = (bytes) => Buffer.from(bytes).toString("utf8");

function takeOutput() {
  const res = { out: decode(outBuf), err: decode(errBuf) };
  outBuf = [];
  errBuf = [];
  return res;
}

function mkdirP(path) {
  let cur = "";
  for (const part of path.split("/").filter((p) => p)) {
    cur += "/" + part;
    if (!mp.FS.analyzePath(cur).exists) mp.FS.mkdir(cur);
  }
}

function handle(req) {
  const FS = mp.FS;
  switch (req.op) {
    case "exec":
      try {
        mp.runPython(req.code);
        return { ok: true, ...takeOutput() };
      } catch (e) {
        // PythonError: message is the MicroPython traceback, .type the exception name.
        return { ok: false, ...takeOutput(), error: String(e.message ?? e), type: e.type ?? null };
      }
    case "write_file":
      FS.writeFile(req.path, Buffer.from(req.data, "base64"));
      return { ok: true };
    case "read_file":
      return { ok: true, data: Buffer.from(FS.readFile(req.path)).toString("base64") };
    case "mkdir":
      mkdirP(req.path);
      return { ok: true };
    case "listdir":
      return { ok: true, entries: FS.readdir(req.path).filter((n) => n !== "." && n !== "..") };
    case "remove":
      if (FS.isDir(FS.stat(req.path).mode)) FS.rmdir(req.path);
      else FS.unlink(req.path);
      return { ok: true };
    case "exists":
      return { ok: true, exists: FS.analyzePath(req.path).exists };
    case "ping":
      return { ok: true };
    default:
      return { ok: false, error: `unknown op: ${req.op}` };
  }
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  let resp;
  try {
    resp = handle(JSON.parse(line));
  } catch (e) {
    // Emscripten FS.ErrnoError carries .code such as "ENOENT".
    resp = { ok: false, error: String((e && e.message) || e), code: (e && e.code) || null };
  }
  send(resp);
}
