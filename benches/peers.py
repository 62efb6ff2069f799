"""NumPy's and jax's side of `cargo xtask bench --peers`.

Run by `cargo xtask bench --peers` in the virtual environment it sets up under
target/ (benches/requirements.txt), pinned to the same core as the Rust
sides. Takes `--shapes 4096x1000,... --samples N --seconds S` and prints the
tab-separated lines of the protocol of benches/protocol/src/lib.rs (`meta` and `time`
lines), with the same timing protocol (wall clock, time.perf_counter_ns) and
the same inputs (SplitMix64 from the same seed, computed with NumPy).

The peers, each in its fastest idiomatic form:
- jax: jax.jit(jax.nn.softmax); jax.jit(jax.value_and_grad(f)) with f the
  mean of optax.softmax_cross_entropy_with_integer_labels (class labels) or of
  optax.softmax_cross_entropy (soft targets); inputs on the device before
  the timing, every result waited for (block_until_ready);
- NumPy: the stable form, e^(z - m) over its sum, with in-place operations
  where they avoid a temporary; floors: np.exp(z, out=) and np.copyto.

`--probe-xla DIR` (used by this script on itself, in a child process):
compile the jax functions once with XLA's dump in DIR, so that the parent can
report the instruction set of XLA's code without the dump slowing the timing.
"""

import argparse
import contextlib
import glob
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# One thread for XLA's own work; the process is pinned to one core anyway.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

try:
    import numpy as np
    import jax
    import jax.numpy as jnp
    import optax
except ImportError as error:
    sys.exit("benches/peers.py: a peer is missing ({}): `cargo xtask bench --peers` installs "
             "benches/requirements.txt into target/peers-venv; delete that directory to "
             "reinstall".format(error))

jax.config.update("jax_enable_x64", True)

TYPES = {"f32": np.float32, "f64": np.float64}


# ---- inputs: benches/protocol/src/lib.rs `inputs`, the same stream --------------------

def splitmix(index):
    with np.errstate(over="ignore"):
        z = np.uint64(0x5EED) + index * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def inputs(rows, classes):
    n = rows * classes
    draws = splitmix(np.arange(1, n + 1, dtype=np.uint64))
    z = (draws >> np.uint64(11)).astype(np.float64) / float(1 << 53) * 10.0 - 5.0
    labels = (splitmix(np.arange(n + 1, n + rows + 1, dtype=np.uint64)) % np.uint64(classes)).astype(np.int64)
    off = 0.1 / classes
    t = np.full((rows, classes), off)
    t[np.arange(rows), labels] = 0.9 + off
    return z.reshape(rows, classes), labels, t


# ---- the timing protocol: benches/protocol/src/lib.rs `Plan::measure` ----------------

def calls_for(seconds, took, calls):
    per_call = max(took / calls, 1e-9)
    return max(int(round(seconds / per_call)), 1)


def measure(f, elements, samples, seconds):
    def run(calls):
        start = time.perf_counter_ns()
        for _ in range(calls):
            f()
        return (time.perf_counter_ns() - start) * 1e-9

    calls = calls_for(seconds, run(1), 1)
    calls = calls_for(seconds, run(calls), calls)
    return calls, [run(calls) * 1e9 / (calls * elements) for _ in range(samples)]


def time_line(group, side, ty, rows, classes, result):
    calls, samples = result
    return "time\t{}\t{}\t{}\t{}\t{}\t{}\t{}".format(
        group, side, ty, rows, classes, calls, ",".join("{:.6f}".format(s) for s in samples))


def meta(key, value):
    print("meta\t{}\t{}".format(key, " ".join(str(value).split())), flush=True)


# ---- the peers -----------------------------------------------------------------

def numpy_softmax(z):
    e = z - z.max(axis=1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=1, keepdims=True)
    return e


def numpy_labels(z, labels, rows_index):
    n = z.shape[0]
    m = z.max(axis=1, keepdims=True)
    e = z - m
    np.exp(e, out=e)
    s = e.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows_index, labels])
    e /= s
    e[rows_index, labels] -= 1.0
    e /= n
    return loss, e


def numpy_soft(z, t):
    n = z.shape[0]
    m = z.max(axis=1, keepdims=True)
    e = z - m
    np.exp(e, out=e)
    s = e.sum(axis=1, keepdims=True)
    log_y = z - m - np.log(s)
    loss = -np.sum(t * log_y) / n
    e /= s
    e -= t
    e /= n
    return loss, e


jax_softmax = jax.jit(jax.nn.softmax)
jax_labels = jax.jit(jax.value_and_grad(
    lambda z, labels: optax.softmax_cross_entropy_with_integer_labels(z, labels).mean()))
jax_soft = jax.jit(jax.value_and_grad(lambda z, t: optax.softmax_cross_entropy(z, t).mean()))


def bench(plan, rows, classes, ty):
    z, labels, t = inputs(rows, classes)
    z, t = z.astype(TYPES[ty]), t.astype(TYPES[ty])
    n = z.size
    line = lambda group, side, result: print(time_line(group, side, ty, rows, classes, result), flush=True)
    m = lambda f: measure(f, n, plan.samples, plan.seconds)
    rows_index = np.arange(rows)
    line("softmax", "numpy", m(lambda: numpy_softmax(z)))
    line("labels", "numpy", m(lambda: numpy_labels(z, labels, rows_index)))
    line("soft", "numpy", m(lambda: numpy_soft(z, t)))
    out = np.empty_like(z)
    line("exp", "numpy", m(lambda: np.exp(z, out=out)))
    line("copy", "numpy", m(lambda: np.copyto(out, z)))
    zj, lj, tj = jax.device_put(z), jax.device_put(labels.astype(np.int32)), jax.device_put(t)
    line("softmax", "jax", m(lambda: jax_softmax(zj).block_until_ready()))
    line("labels", "jax", m(lambda: jax.block_until_ready(jax_labels(zj, lj))))
    line("soft", "jax", m(lambda: jax.block_until_ready(jax_soft(zj, tj))))


# ---- what each side ran ----------------------------------------------------------

def numpy_runtime():
    """The loop of NumPy's dispatch that each ufunc of these cases runs
    (numpy.lib.introspect.opt_func_info, "current"), and its BLAS (which
    these cases do not use), from numpy.show_runtime."""
    from numpy.lib.introspect import opt_func_info
    info = opt_func_info(func_name="^(exp|log|maximum|add|subtract|multiply|divide)$", signature="^(f|d)")
    loops = []
    for ty, prefix in (("f32", "f"), ("f64", "d")):
        chosen = sorted({"{} {}".format(name, v["current"]) for name, sigs in info.items()
                         for sig, v in sigs.items() if sig.startswith(prefix * 2)})
        loops.append("{}: {}".format(ty, ", ".join(chosen)))
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        np.show_runtime()
    blas = re.findall(r"'(internal_api|architecture|version)': '?([^',}]+)", text.getvalue())
    return "NumPy dispatch, loop per ufunc: {}; BLAS (unused here): {}".format(
        "; ".join(loops), " ".join("{}={}".format(k, v) for k, v in blas) or "not reported")


def probe_xla(directory):
    """Compile the jax functions once, with XLA's dump into `directory`."""
    z, labels, t = inputs(64, 1000)
    for ty in TYPES.values():
        zj = jnp.asarray(z.astype(ty))
        jax_softmax(zj).block_until_ready()
        jax.block_until_ready(jax_labels(zj, jnp.asarray(labels.astype(np.int32))))
        jax.block_until_ready(jax_soft(zj, jnp.asarray(t.astype(ty))))


def xla_instruction_set():
    """The vector width of XLA's code: the attributes of its LLVM IR and the
    registers of its object code (objdump), from a dump in a child process."""
    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ)
        env["XLA_FLAGS"] = env.get("XLA_FLAGS", "") + " --xla_dump_to=" + directory
        subprocess.run([sys.executable, __file__, "--probe-xla", directory], env=env, check=True)
        widths = set()
        for ll in glob.glob(os.path.join(directory, "*ir-with-opt.ll")):
            with open(ll) as f:
                widths.update(re.findall(r'"prefer-vector-width"="(\d+)"', f.read()))
        counts = {"zmm": 0, "ymm": 0, "xmm": 0}
        objects = glob.glob(os.path.join(directory, "*.o"))
        try:
            for obj in objects:
                asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", obj],
                                     capture_output=True, text=True, check=True).stdout
                for reg in counts:
                    counts[reg] += len(re.findall(r"%" + reg + r"\d", asm))
            registers = "; register operands in its {} object files: {}".format(
                len(objects), ", ".join("{} {}".format(k, v) for k, v in counts.items()))
        except (OSError, subprocess.CalledProcessError):
            registers = "; objdump not available, registers not counted"
        return "XLA CPU, LLVM prefer-vector-width={}{}".format(",".join(sorted(widths)) or "not stated", registers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", default="4096x1000")
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--probe-xla")
    plan = parser.parse_args()
    if plan.probe_xla:
        probe_xla(plan.probe_xla)
        return
    shapes = [tuple(int(x) for x in s.split("x")) for s in plan.shapes.split(",")]
    meta("python", platform.python_version())
    meta("numpy", np.__version__)
    meta("jax", jax.__version__)
    meta("jaxlib", jax.lib.__version__ if hasattr(jax.lib, "__version__") else "")
    meta("optax", optax.__version__)
    meta("XLA_FLAGS", os.environ.get("XLA_FLAGS", ""))
    meta("isa.numpy", numpy_runtime())
    meta("isa.jax", xla_instruction_set())
    z, labels, _ = inputs(*shapes[0])
    # benches/protocol/src/lib.rs `input_check`; cargo xtask bench compares the numbers.
    meta("inputs", "{!r} {!r} {} {}".format(float(z.flat[0]), float(z.flat[-1]), labels[0], labels[-1]))
    for rows, classes in shapes:
        for ty in TYPES:
            bench(plan, rows, classes, ty)


if __name__ == "__main__":
    main()
