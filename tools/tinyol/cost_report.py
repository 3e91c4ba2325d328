"""Section 3 Markdown: the cost of one step of the microcontroller-sized
model, float32 vs int8 extractor, and how each figure was measured."""
import subprocess

from tools.benchkit import table

from .settings import COST_CLASSES, COST_HID, COST_IN, COST_SGD


def write(md, r):
    """Append section 3 to `md` from `r` (cost.run)."""
    cp, counts, vm, steps = r["cp"], r["counts"], r["vm"], r["steps"]
    md.append("## 3. Cost of one step on a microcontroller-sized model\n")
    md.append(
        "Model: %d inputs -> `Frozen(%d, %d, 'relu')` extractor (float32 weights, or int8 with a "
        "per-row scale) -> `Classifier` head with capacity %d, `SGD(lr=%g, momentum=%g, clip=%g)`, "
        "standardize=True. Measured after 20 warm-up steps that bring in all %d classes (the head at "
        "its full size). Inputs: numpy float32 rows (numpy), `array('f')` (pure Python, VM), "
        "ulab ndarrays (ulab counts).\n"
        % (COST_IN, COST_IN, COST_HID, COST_CLASSES, COST_SGD["lr"], COST_SGD["momentum"],
           COST_SGD["clip"], COST_CLASSES))
    rows = []

    def both(f):
        return [f(False), f(True)]

    rows.append(["CPython + numpy: learn_one (µs)"] + both(lambda q: "%.1f" % cp["numpy", q][0]))
    rows.append(["CPython + numpy: predict_one (µs)"] + both(lambda q: "%.1f" % cp["numpy", q][1]))
    rows.append(["CPython pure Python: learn_one (µs)"] + both(lambda q: "%.1f" % cp["python", q][0]))
    rows.append(["CPython pure Python: predict_one (µs)"] + both(lambda q: "%.1f" % cp["python", q][1]))
    rows.append(["ratio pure Python / numpy, learn_one"] + both(
        lambda q: "%.1fx" % (cp["python", q][0] / cp["numpy", q][0])))
    rows.append(["ratio pure Python / numpy, predict_one"] + both(
        lambda q: "%.1fx" % (cp["python", q][1] / cp["numpy", q][1])))
    if "error" in vm:
        rows.append(["MicroPython VM", "not run: " + vm["error"].splitlines()[0], ""])
    else:
        rows.append(["MicroPython VM: learn_one (µs, ticks_us)"] + both(
            lambda q: "%.0f" % vm[q]["learn"][0]))
        rows.append(["MicroPython VM: predict_one (µs, ticks_us)"] + both(
            lambda q: "%.0f" % vm[q]["predict"][0]))
        rows.append(["ratio VM / CPython pure Python, learn_one"] + both(
            lambda q: "%.1fx" % (vm[q]["learn"][0] / cp["python", q][0])))
        rows.append(["ratio VM / CPython pure Python, predict_one"] + both(
            lambda q: "%.1fx" % (vm[q]["predict"][0] / cp["python", q][1])))
        rows.append(["MicroPython VM: heap allocated per learn_one (bytes)"] + both(
            lambda q: "%.0f" % vm[q]["learn"][1]))
        rows.append(["MicroPython VM: heap allocated per predict_one (bytes)"] + both(
            lambda q: "%.0f" % vm[q]["predict"][1]))
        rows.append(["MicroPython VM: live heap of the learner, constructed (bytes)"] + both(
            lambda q: "%d" % vm[q]["live"]))
        rows.append(["MicroPython VM: live heap of the learner, after 20 steps (bytes)"] + both(
            lambda q: "%d" % vm[q]["live_after"]))
    rows.append(["ulab emulation: ops / bytes per learn_one (ndarray input)"] + both(
        lambda q: "%d / %d" % counts[q]["learn"]))
    rows.append(["ulab emulation: ops / bytes per predict_one (ndarray input)"] + both(
        lambda q: "%d / %d" % counts[q]["predict"]))
    rows.append(["ulab emulation: ops / bytes per learn_one (list input)"] + both(
        lambda q: "%d / %d" % counts[q]["learn_list"]))
    md.append(table(["measure", "float32 extractor", "int8 extractor"], rows) + "\n")
    notes = [
        "CPython times: median of 3 repeats over %d (numpy) / %d (pure Python) steps; the pure-Python "
        "path is `devicepkg.use(\"python\")` (ulab and numpy hidden)." % (steps["numpy"], steps["python"]),
    ]
    if "error" not in vm:
        notes.append(
            "VM: %s, WebAssembly port under Node.js %s, pure-Python path (the port has no ulab). "
            "Times from `time.ticks_us()` / `ticks_diff` inside the VM over %d steps (median of %d "
            "runs); this port's ticks_us has millisecond resolution, so the per-step figure is a "
            "total over the run divided by %d. Host wall-clock per step, protocol overhead included: "
            "learn %.0f / %.0f µs, predict %.0f / %.0f µs (float32 / int8)."
            % (vm["version"], _node_version(), steps["vm"], steps["vm_runs"], steps["vm"],
               vm[False]["learn"][2], vm[True]["learn"][2], vm[False]["predict"][2], vm[True]["predict"][2]))
        notes.append(
            "Heap per step: `gc.collect()` in one call, then `gc.disable(); a = gc.mem_alloc(); <steps>; "
            "b = gc.mem_alloc(); gc.enable()` in the next, (b - a) / steps. `gc.isenabled()` after "
            "`gc.disable()` reads %s, so the flag is honoured; but in this port no collection runs "
            "inside a call anyway (gc.collect() only schedules one, and the heap grows on demand), so "
            "the figure is everything allocated, nothing reclaimed. The VM times therefore include no "
            "GC pauses, which a board with a fixed heap would pay. Live heap: `gc.mem_alloc()` after a "
            "collection, before vs after constructing the Frozen layer and the Classifier (the weight "
            "lists they are built from already existed)." % vm["gc_disable_flag"])
    notes.append(
        "ulab counts: operations and heap bytes that real ulab would allocate, from the strict "
        "emulation's counter (`stubs/ulab/_counter.py`: data bytes + a 48-byte header per new array, "
        "0 for in-place operations). The list-input row shows the cost of `load_vec` copying a "
        "Python list element by element.")
    md.append("\n".join("* " + n for n in notes) + "\n")


def _node_version():
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
