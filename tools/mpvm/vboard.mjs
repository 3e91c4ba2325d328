// A virtual MicroPython board: MicroPython's WebAssembly port behind a TCP
// socket that the unmodified `mpremote` drives as a serial port
// (`mpremote connect socket://127.0.0.1:PORT ...`).
//
// Usage: node vboard.mjs --flash DIR [--port 0] [--host 127.0.0.1]
//                        [--flash-bytes N] [--heapsize N[k|m]]
//
// stdout: first {"ready":true,"port":P} (or {"ready":false,"error":...}),
// then one JSON answer per control request read from stdin:
//   {"op":"drop_after","bytes":N}   close the link abruptly after N more received bytes (one shot)
//   {"op":"flash_full","on":B}      while on, writes that grow the flash fail with ENOSPC
//   {"op":"reset"}                  hard reset (power cycle); answered once booted
//   {"op":"stats"}                  bytes in/out, connections, resets
// stdin EOF: shut down (the flash is written through, nothing to flush).
//
// Design. The main thread owns the socket; the board runs in a Worker like a
// real port's main loop: it blocks (Atomics.wait) on a SharedArrayBuffer ring
// that plays the UART receive buffer and feeds each byte to MicroPython's own
// event-driven REPL (replProcessChar). Raw-paste mode ("\x05A\x01") cannot run
// inside the port: its mp_hal_stdin_rx_chr() is a macro returning 0, so
// MicroPython's reader would spin on NUL bytes forever. The worker speaks the
// raw-paste protocol itself (same window size and flow control as
// shared/runtime/pyexec.c) and hands the received code to the raw REPL.
// Soft reset = a fresh interpreter instance in the same worker; hard reset =
// a fresh worker. DIR is the flash: copied into the port's in-memory FS at
// every boot, and every change the board makes is written through to DIR.

import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const PKG = "@micropython/micropython-webassembly-pyscript";
const RING = 1 << 16; // receive buffer size in bytes
// Int32 slots at the start of the shared buffer; the ring follows them.
const HEAD = 0; // ring write index (main thread)
const TAIL = 1; // ring read index (worker)
const CTRLC = 2; // number of 0x03 bytes put into the ring
const FULL = 3; // flash_full switch
const CAP = 4; // flash capacity in bytes, -1 = unlimited
const HDR = 32;

// ---------------------------------------------------------------- main thread

async function host() {
  const send = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
  let opt;
  try {
    const { values } = parseArgs({
      options: {
        flash: { type: "string" },
        port: { type: "string", default: "0" },
        host: { type: "string", default: "127.0.0.1" },
        "flash-bytes": { type: "string" },
        heapsize: { type: "string", default: "2m" },
      },
    });
    if (!values.flash) throw new Error("--flash DIR is required");
    opt = { ...values, flash: path.resolve(values.flash), heapsize: size(values.heapsize) };
    await import(PKG); // fail early, with a clear message, if the package is missing
  } catch (e) {
    const missing = e.code === "ERR_MODULE_NOT_FOUND";
    send({ ready: false, missing_package: missing, error: missing ? `npm package ${PKG} is not installed: ${e.message}` : String(e.message ?? e) });
    process.exit(1);
  }
  fs.mkdirSync(opt.flash, { recursive: true });

  const sab = new SharedArrayBuffer(HDR + RING);
  const ctl = new Int32Array(sab, 0, HDR / 4);
  const ring = new Uint8Array(sab, HDR);
  ctl[CAP] = opt["flash-bytes"] === undefined ? -1 : size(opt["flash-bytes"]);
  const stats = { bytes_in: 0, bytes_out: 0, connections: 0, refused: 0, soft_resets: 0, hard_resets: 0 };
  let worker = null;
  let client = null;
  let pending = []; // received chunks waiting for room in the ring
  let retry = null;
  let dropLeft = null;

  const powerOn = () =>
    new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { sab, flash: opt.flash, heapsize: opt.heapsize } });
      let booted = false;
      worker = w;
      w.on("message", (m) => {
        if (w !== worker) return; // late output of a board that was switched off
        if (m instanceof Uint8Array) {
          // Output with nobody listening is lost, as on a UART.
          if (client) {
            client.write(m);
            stats.bytes_out += m.length;
          }
        } else if (m.booted) {
          if (m.soft) stats.soft_resets++;
          booted = true;
          resolve();
        }
      });
      w.on("error", (e) => {
        if (w !== worker) return;
        console.error("vboard: the board crashed:", e);
        if (booted) powerCycle().catch(() => {}); // like a watchdog reset
        else reject(e);
      });
    });

  async function powerCycle() {
    const old = worker;
    worker = null;
    await old?.terminate(); // the flash is written through, so pulling the plug loses nothing
    pending = [];
    Atomics.store(ctl, HEAD, 0);
    Atomics.store(ctl, TAIL, 0);
    Atomics.store(ctl, CTRLC, 0);
    stats.hard_resets++;
    await powerOn();
  }

  // Move received bytes into the ring; when it is full, pause the socket (TCP
  // flow control stands in for a UART's RTS) and retry shortly.
  function pump() {
    while (pending.length) {
      const head = ctl[HEAD];
      const free = (Atomics.load(ctl, TAIL) - head - 1 + RING) % RING;
      if (!free) break;
      const chunk = pending[0];
      const n = Math.min(free, chunk.length, RING - head);
      ring.set(chunk.subarray(0, n), head);
      for (let i = 0; i < n; i++) if (chunk[i] === 3) Atomics.add(ctl, CTRLC, 1);
      Atomics.store(ctl, HEAD, (head + n) % RING);
      Atomics.notify(ctl, HEAD);
      if (n === chunk.length) pending.shift();
      else pending[0] = chunk.subarray(n);
    }
    if (pending.length) {
      client?.pause();
      retry ??= setTimeout(() => {
        retry = null;
        pump();
      }, 2);
    } else client?.resume();
  }

  function receive(data) {
    stats.bytes_in += data.length;
    pending.push(data);
    pump();
  }

  const server = net.createServer((sock) => {
    if (client) {
      // Like a serial port that is already open: the second user gets nothing.
      stats.refused++;
      sock.destroy();
      return;
    }
    client = sock;
    stats.connections++;
    sock.setNoDelay(true);
    sock.on("error", () => {});
    sock.on("close", () => {
      if (client === sock) client = null;
    });
    sock.on("data", (data) => {
      if (dropLeft !== null && data.length >= dropLeft) {
        receive(data.subarray(0, dropLeft));
        dropLeft = null;
        client = null;
        sock.resetAndDestroy();
        return;
      }
      if (dropLeft !== null) dropLeft -= data.length;
      receive(data);
    });
  });

  try {
    await powerOn();
    await new Promise((resolve, reject) => server.once("error", reject).listen(Number(opt.port), opt.host, resolve));
  } catch (e) {
    send({ ready: false, error: String(e.message ?? e) });
    process.exit(1);
  }
  send({ ready: true, port: server.address().port });

  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let resp;
    try {
      const req = JSON.parse(line);
      if (req.op === "drop_after") dropLeft = Math.max(0, Number(req.bytes));
      else if (req.op === "flash_full") Atomics.store(ctl, FULL, req.on === false ? 0 : 1);
      else if (req.op === "reset") await powerCycle();
      else if (req.op !== "stats") throw new Error(`unknown op: ${req.op}`);
      resp = { ok: true, ...(req.op === "stats" ? stats : {}) };
    } catch (e) {
      resp = { ok: false, error: String(e.message ?? e) };
    }
    send(resp);
  }
  server.close();
  client?.destroy();
  await worker?.terminate();
  process.exit(0);
}

function size(text) {
  const m = /^(\d+)([kKmM]?)$/.exec(String(text).trim());
  if (!m) throw new Error(`bad size: ${text}`);
  return parseInt(m[1], 10) * { "": 1, k: 1024, m: 1024 * 1024 }[m[2].toLowerCase()];
}

// ---------------------------------------------------------------- the board (worker)

async function board() {
  console.log = console.info = console.debug = console.error; // stdout is the control channel
  const { sab, flash, heapsize } = workerData;
  const ctl = new Int32Array(sab, 0, HDR / 4);
  const ring = new Uint8Array(sab, HDR);
  const { loadMicroPython } = await import(PKG);
  const RAW_BANNER = Buffer.from("raw REPL; CTRL-B to exit\r\n");
  const out = new Uint8Array(4096);
  let outLen = 0;
  let lastFlush = 0;
  let mp;
  let raw = false; // REPL mode, to re-enter the same one after a soft reset
  let banner = 0; // how much of RAW_BANNER the output currently ends with
  let quiet = false; // drop output (the banner of an instance that boots into the raw REPL)
  let skip = 0; // output bytes still to drop
  let booting = false;
  let read3 = 0; // 0x03 bytes taken from the ring
  let intr = 0; // 0x03 bytes already acted on as KeyboardInterrupt, still in the ring

  function flush() {
    if (outLen) parentPort.postMessage(out.slice(0, outLen));
    outLen = 0;
    lastFlush = performance.now();
  }

  function emit(b) {
    if (quiet) return;
    if (skip) return void skip--;
    out[outLen++] = b;
    banner = b === RAW_BANNER[banner] ? banner + 1 : b === RAW_BANNER[0] ? 1 : 0;
    if (banner === RAW_BANNER.length) {
      raw = true;
      banner = 0;
    }
    // Batch output, but let lines and slow trickles (progress dots) through promptly.
    if (b === 10 || outLen === out.length || performance.now() - lastFlush > 20) flush();
    // Ctrl-C while Python runs: the port has no UART interrupt, but Python
    // calls us whenever it prints, so a printing loop can be interrupted.
    if (mp && Atomics.load(ctl, CTRLC) > read3 + intr && (booting || mp._module._mp_hal_get_interrupt_char() === 3)) {
      intr++;
      mp._module._mp_sched_keyboard_interrupt();
    }
  }
  const print = (text) => Buffer.from(text, "latin1").forEach(emit);

  // The UART read: block until a byte arrives. A 0x03 that already raised
  // KeyboardInterrupt is dropped, as a real port's receive interrupt does.
  function nextByte() {
    for (;;) {
      const tail = ctl[TAIL];
      if (Atomics.load(ctl, HEAD) === tail) {
        flush();
        Atomics.wait(ctl, HEAD, tail);
        continue;
      }
      const b = ring[tail];
      Atomics.store(ctl, TAIL, (tail + 1) % RING);
      if (b === 3) {
        read3++;
        if (intr) {
          intr--;
          continue;
        }
      }
      return b;
    }
  }

  function runScript(name) {
    if (!mp.FS.analyzePath("/" + name).exists) return;
    try {
      mp.runPython(`exec(compile(open("/${name}").read(), "${name}", "exec"))`);
    } catch (e) {
      print(String(e.message ?? e).replace(`  File "<stdin>", line 1, in <module>\n`, ""));
    }
  }

  // What a port's main() does from power-on or soft reset up to the REPL.
  // Reported as booted before the scripts run, so a main.py that loops forever
  // does not hold up the control channel.
  async function boot(friendly, soft) {
    booting = true;
    mp = null;
    mp = await loadMicroPython({ heapsize, linebuffer: false, stdout: (b) => emit(b[0]), stderr: (b) => emit(b[0]), stdin: nextByte });
    mountFlash(mp.FS, flash, ctl);
    parentPort.postMessage({ booted: true, soft });
    runScript("boot.py");
    if (friendly) runScript("main.py"); // real ports skip main.py in raw REPL mode
    booting = false;
    quiet = !friendly; // replInit prints the friendly banner and prompt
    mp.replInit();
    quiet = false;
    if (!friendly) mp.replProcessChar(1); // Ctrl-A: back to the raw REPL
    flush();
  }

  // Raw-paste mode, as pyexec.c's do_reader_stdin: announce a window of 128
  // bytes (plus one spare window), ack each consumed window with 0x01, end at
  // Ctrl-D (or abort at Ctrl-C), then execute. Returns replProcessChar's result.
  function rawPaste(command) {
    mp.replProcessChar(3); // clear the raw REPL's line, which holds "\x05" + command
    if (command !== 0x41) {
      print("R\x00>"); // unsupported command
      return 0;
    }
    print("R\x01\x80\x00\x01");
    const code = [];
    let unacked = 0;
    const ack = () => {
      print("\x01");
      unacked = 0;
    };
    for (;;) {
      // Before waiting, grant the next window early (a host may always get
      // more): otherwise a short command followed by a separate "\x04" write
      // stalls 40 ms on the host's Nagle algorithm awaiting our delayed ACK.
      if (unacked && Atomics.load(ctl, HEAD) === ctl[TAIL]) ack();
      const c = nextByte();
      if (c === 3) {
        print("\x04\x04KeyboardInterrupt: \n\x04>");
        return 0;
      }
      if (c === 4) break;
      code.push(c);
      if (++unacked === 128) ack();
    }
    print("\x04");
    // The raw REPL would act on these bytes; MicroPython's lexer would not.
    const source = code.some((c) => c <= 4) ? Buffer.from("raise SyntaxError('vboard: bytes 0x01-0x04 in pasted code')") : code.length ? code : [10];
    for (const c of source) mp.replProcessChar(c);
    skip = 2; // the raw REPL's "OK", which raw-paste mode does not send
    return mp.replProcessChar(4);
  }

  await boot(true, false);
  let line = []; // first bytes of the raw REPL's current line, to spot "\x05A\x01"
  for (;;) {
    const c = nextByte();
    let ret;
    if (raw && c === 1 && line.length === 2 && line[0] === 5) ret = rawPaste(line[1]);
    else {
      if (c === 2 && raw) raw = false; // Ctrl-B leaves the raw REPL
      ret = mp.replProcessChar(c);
    }
    if (c <= 4) line = [];
    else if (line.length < 3) line.push(c);
    if (ret) {
      print("MPY: soft reboot\r\n");
      await boot(!raw, true);
      line = [];
    }
  }
}

// ---------------------------------------------------------------- flash

const SYSTEM = new Set(["dev", "proc"]); // the port's own directories, not flash
const O_CREAT = 64;
const O_TRUNC = 512;
const O_APPEND = 1024;
const WASI_ENOSPC = 51;
// The port raises OSError with Emscripten's (WASI) errno numbers (ENOENT=44)
// while its errno module and mpremote use MicroPython's (ENOENT=2), so
// mpremote could not tell "no such file" from other failures. Translate.
const MP_ERRNO = {
  EPERM: 1, ENOENT: 2, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24,
  ENOTTY: 25, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32,
  ENAMETOOLONG: 36, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, EOPNOTSUPP: 95,
};

function mountFlash(FS, flash, ctl) {
  FS.chdir("/");
  for (const dir of ["/tmp", "/home"]) removeTree(FS, dir); // Emscripten's, not the board's
  copyIn(FS, flash, "");

  const root = FS.lookupPath("/").node;
  const hostPath = (p) => {
    const abs = path.posix.resolve(FS.cwd(), p);
    const top = abs.split("/")[1];
    return top && !SYSTEM.has(top) ? path.join(flash, abs) : null;
  };
  const used = () => {
    let n = 0;
    const walk = (dir) => {
      for (const [name, node] of Object.entries(dir.contents)) {
        if (dir === root && SYSTEM.has(name)) continue;
        if (FS.isDir(node.mode)) walk(node);
        else if (FS.isFile(node.mode)) n += node.usedBytes;
      }
    };
    walk(root);
    return n;
  };
  // Host I/O problems are reported but never break the board.
  const onHost = (fn) => {
    try {
      fn();
    } catch (e) {
      console.error("vboard: flash write-through failed:", e.message);
    }
  };
  const mirror = (node) => {
    const h = FS.isFile(node.mode) && hostPath(FS.getPath(node));
    if (h) onHost(() => fs.writeFileSync(h, node.contents ? node.contents.subarray(0, node.usedBytes) : ""));
  };
  const wrap = (name, fn) => {
    const orig = FS[name];
    FS[name] = (...args) => fn(orig, ...args);
  };

  wrap("write", (orig, stream, buf, off, len, pos, canOwn) => {
    const node = stream.node;
    const h = FS.isFile(node.mode) && hostPath(FS.getPath(node));
    if (!h) return orig(stream, buf, off, len, pos, canOwn);
    const at = pos ?? (stream.flags & O_APPEND ? node.usedBytes : stream.position);
    const growth = at + len - node.usedBytes;
    const cap = ctl[CAP];
    if (growth > 0 && (Atomics.load(ctl, FULL) || (cap >= 0 && used() + growth > cap))) throw new FS.ErrnoError(WASI_ENOSPC);
    const n = orig(stream, buf, off, len, pos, canOwn);
    try {
      const fd = fs.openSync(h, "r+");
      fs.writeSync(fd, buf, off, n, at);
      fs.closeSync(fd);
    } catch {
      mirror(node); // e.g. the host removed the file meanwhile
    }
    return n;
  });
  wrap("open", (orig, p, flags, mode) => {
    const stream = orig(p, flags, mode);
    if (flags & (O_CREAT | O_TRUNC)) mirror(stream.node);
    return stream;
  });
  wrap("unlink", (orig, p) => {
    const h = hostPath(p);
    orig(p);
    if (h) onHost(() => fs.rmSync(h, { force: true }));
  });
  wrap("mkdir", (orig, p, mode) => {
    const h = hostPath(p);
    const node = orig(p, mode);
    if (h) onHost(() => fs.mkdirSync(h, { recursive: true }));
    return node;
  });
  wrap("rmdir", (orig, p) => {
    const h = hostPath(p);
    orig(p);
    if (h) onHost(() => fs.existsSync(h) && fs.rmdirSync(h)); // files the host added meanwhile stay
  });
  wrap("rename", (orig, a, b) => {
    const [ha, hb] = [hostPath(a), hostPath(b)];
    orig(a, b);
    if (ha && hb) onHost(() => fs.renameSync(ha, hb));
  });
  // Hide the port's /dev and /proc, so `mpremote ls :` lists the flash only.
  wrap("readdir", (orig, p) => {
    const names = orig(p);
    return path.posix.resolve(FS.cwd(), p) === "/" ? names.filter((n) => !SYSTEM.has(n)) : names;
  });
  // os.statvfs (mpremote df) reports the --flash-bytes capacity.
  wrap("statfsNode", (orig, node) => {
    const st = orig(node);
    if (ctl[CAP] >= 0) {
      st.blocks = Math.ceil(ctl[CAP] / st.bsize);
      st.bfree = st.bavail = Math.max(0, Math.floor((ctl[CAP] - used()) / st.bsize));
    }
    return st;
  });

  for (const name of ["open", "close", "read", "write", "llseek", "stat", "lstat", "fstat", "mkdir", "rmdir", "unlink", "rename", "readdir", "chdir", "truncate", "ftruncate"]) {
    wrap(name, (orig, ...args) => {
      try {
        return orig(...args);
      } catch (e) {
        if (e?.name === "ErrnoError" && !e.translated) {
          e.errno = MP_ERRNO[e.code] ?? e.errno;
          e.translated = true; // an outer wrapped call must not translate again
        }
        throw e;
      }
    });
  }
}

function removeTree(FS, p) {
  if (!FS.analyzePath(p).exists) return;
  for (const name of FS.readdir(p)) {
    if (name === "." || name === "..") continue;
    const child = `${p}/${name}`;
    if (FS.isDir(FS.stat(child).mode)) removeTree(FS, child);
    else FS.unlink(child);
  }
  FS.rmdir(p);
}

function copyIn(FS, hostDir, memDir) {
  for (const name of fs.readdirSync(hostDir)) {
    if (!memDir && SYSTEM.has(name)) continue;
    const h = path.join(hostDir, name);
    const m = `${memDir}/${name}`;
    const st = fs.statSync(h);
    if (st.isDirectory()) {
      FS.mkdir(m);
      copyIn(FS, h, m);
    } else if (st.isFile()) FS.writeFile(m, fs.readFileSync(h));
  }
}

if (isMainThread) await host();
else await board();
