"""The peers of the kernel benchmarks: NumPy, SciPy and jax.jit on the same
shapes, timed the same way (process CPU time, median of repeated calls).

Run by `cargo xtask bench --peers` in its own virtual environment, pinned to
the same core as the Rust benchmarks. Prints one JSON object per line:
{"group", "tool", "type", "rows", "classes", "ns_per_elem"}. Nothing of this
enters the library or `cargo test`.
"""

import json
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import scipy.special  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

jax.config.update("jax_enable_x64", True)

TABLE_SHAPES = [(4096, 1000), (100_000, 10)]
SWEEP_CLASSES = [10, 32, 100, 320, 1000, 3200]


def median_ns(f, min_reps=10, min_seconds=0.5):
    f()
    f()
    times = []
    start = time.process_time_ns()
    while len(times) < min_reps or time.process_time_ns() - start < min_seconds * 1e9:
        t = time.process_time_ns()
        f()
        times.append(time.process_time_ns() - t)
        if len(times) >= 200:
            break
    times.sort()
    return times[len(times) // 2]


def numpy_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def numpy_loss_and_gradient(z, labels):
    n = z.shape[0]
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, labels])
    g = e / s
    g[rows, labels] -= 1.0
    g /= n
    return loss, g


jax_softmax = jax.jit(lambda z: jax.nn.softmax(z, axis=1))


def mean_cross_entropy(z, labels):
    log_y = jax.nn.log_softmax(z, axis=1)
    return -jnp.mean(jnp.take_along_axis(log_y, labels[:, None], axis=1))


jax_value_and_grad = jax.jit(jax.value_and_grad(mean_cross_entropy))


def emit(group, tool, dtype, rows, classes, ns):
    print(
        json.dumps(
            {
                "group": group,
                "tool": tool,
                "type": dtype,
                "rows": rows,
                "classes": classes,
                "ns_per_elem": ns / (rows * classes),
            }
        ),
        flush=True,
    )


def run(rows, classes, dtype, table):
    rng = np.random.default_rng(0x5EED)
    z = rng.uniform(-5.0, 5.0, (rows, classes)).astype(dtype)
    labels = rng.integers(0, classes, rows)
    name = np.dtype(dtype).name
    zj, lj = jnp.asarray(z), jnp.asarray(labels)
    out = np.empty_like(z)
    emit("softmax", "numpy", name, rows, classes, median_ns(lambda: numpy_softmax(z)))
    emit("softmax", "jax", name, rows, classes, median_ns(lambda: jax_softmax(zj).block_until_ready()))
    emit(
        "loss_and_gradient", "numpy", name, rows, classes,
        median_ns(lambda: numpy_loss_and_gradient(z, labels)),
    )
    emit(
        "loss_and_gradient", "jax", name, rows, classes,
        median_ns(lambda: jax.block_until_ready(jax_value_and_grad(zj, lj))),
    )
    if table:
        emit("softmax", "scipy", name, rows, classes, median_ns(lambda: scipy.special.softmax(z, axis=1)))
        emit("exp", "numpy", name, rows, classes, median_ns(lambda: np.exp(z, out=out)))


def main():
    print(
        json.dumps(
            {"versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                          "scipy": scipy.__version__, "jax": jax.__version__}}
        ),
        flush=True,
    )
    for rows, classes in TABLE_SHAPES:
        for dtype in (np.float32, np.float64):
            run(rows, classes, dtype, True)
    for classes in SWEEP_CLASSES:
        run((1 << 20) // classes, classes, np.float32, False)


if __name__ == "__main__":
    main()
