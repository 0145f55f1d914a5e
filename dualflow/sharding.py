r"""Placing work across devices: rows (evaluation points, grid configurations) split over a mesh.

Everything dualflow computes at many points is *row-wise*: row $n$ of the result depends on row
$n$ of the input and on data every row shares. The witness and its gradient at the particles,

$$f(x_n) = \sum_k \beta_k K(x_n, z_k), \qquad \nabla f(x_n) = \sum_k \beta_k \nabla_x K(x_n, z_k),$$

need only $x_n$ and the centres $(z_k, \beta_k)$; a phase diagram's growth at grid point $g$
needs only that point's parameters $\theta_g$ and the fixed problem. So the rows are split in
$D$ equal blocks, one per device of a `jax.sharding.Mesh`, the shared data are replicated, each
device runs the plain single-device code on its block (`jax.shard_map`), and the blocks are the
rows of the result. Nothing is communicated during the computation, and the numbers are those of
one device to rounding (a device's block is a smaller batch, which XLA may process in a
different order; measured in float64: kernel sums within $10^{-15}$, the growth of a 200 x 200
phase diagram within $10^{-12}$, labels identical).

**Padding.** $N$ rows are padded to $\lceil N/D\rceil D$ by repeating the last row (a valid
input, so no padded row divides by zero or trips a check); the padded rows are computed and
dropped. A result whose length $N$ is a multiple of $D$ stays sharded by rows; otherwise it is
gathered (replicated on every device) when the padding is stripped, as XLA cannot split $N$ rows
evenly. Choose $N$ a multiple of $D$ to keep large results distributed.

The mesh's axes are used in automatic mode (`AxisType.Auto`, GSPMD); a mesh built by
`jax.make_mesh`, whose axes default to `Explicit` in this JAX version, is converted. The same
code runs on host CPU devices (`XLA_FLAGS=--xla_force_host_platform_device_count=4`), on the GPUs
of one host, and on the devices of several hosts after `jax.distributed.initialize` (see the
how-to *Several devices and hosts*). With several host CPU devices, jaxlib 0.10.2 can deadlock in
batched LAPACK calls (`eig` in `linearize`); add
`--xla_cpu_enable_concurrency_optimized_scheduler=false` to `XLA_FLAGS` (the how-to has the details).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.sharding import AxisType, Mesh, NamedSharding, PartitionSpec

from .kernels.radial import AbstractRadialKernel
from .kernels.sums import kernel_sums

#: Name of the axis of the meshes `device_mesh` builds.
AXIS = "rows"


def device_mesh(devices: Sequence[jax.Device] | None = None, *, axis: str = AXIS) -> Mesh:
    r"""A one-axis mesh over `devices` (default: every device of every process, `jax.devices()`).

    **Arguments:**

    - `devices`: the devices to split rows over, in order (e.g. `jax.devices()[:2]`,
      `jax.devices("cpu")`).
    - `axis`: the name of the mesh axis.

    **Returns:** a `jax.sharding.Mesh` of shape `(len(devices),)` with an automatic axis.

    **Example:**

    ```python
    from dualflow.sharding import device_mesh
    mesh = device_mesh()            # all devices; mesh.size == len(jax.devices())
    ```
    """
    devices = jax.devices() if devices is None else list(devices)
    if not devices or not all(isinstance(d, jax.Device) for d in devices):
        raise ValueError(f"`devices` must be a non-empty sequence of jax devices; received {devices!r}.")
    if len({d.id for d in devices}) != len(devices):
        raise ValueError(f"`devices` must not repeat a device; received ids {[d.id for d in devices]}.")
    if not isinstance(axis, str) or not axis:
        raise ValueError(f"`axis` must be a non-empty string; received {axis!r}.")
    return jax.make_mesh((len(devices),), (axis,), axis_types=(AxisType.Auto,), devices=devices)


def _auto_mesh(mesh: Mesh | None) -> Mesh:
    """`mesh` (default `device_mesh()`) with every axis in automatic mode."""
    if mesh is None:
        return device_mesh()
    if not isinstance(mesh, Mesh):
        raise TypeError(f"`mesh` must be a jax.sharding.Mesh (see `device_mesh`); received {type(mesh).__name__}.")
    if all(t == AxisType.Auto for t in mesh.axis_types):
        return mesh
    return Mesh(mesh.devices, mesh.axis_names, axis_types=(AxisType.Auto,) * len(mesh.axis_names))


def _rows_spec(mesh: Mesh) -> PartitionSpec:
    """Leading axis split over every axis of `mesh` (row-major over the mesh), the rest whole."""
    return PartitionSpec(mesh.axis_names if len(mesh.axis_names) > 1 else mesh.axis_names[0])


def _n_rows(tree) -> int:
    leaves = jax.tree_util.tree_leaves(tree)
    if not leaves:
        raise ValueError("`rows` holds no arrays; expected arrays with a leading axis of rows.")
    lengths = {jnp.shape(leaf)[0] if jnp.ndim(leaf) else None for leaf in leaves}
    if None in lengths or len(lengths) != 1 or 0 in lengths:
        raise ValueError(
            "every array of `rows` must have the same non-zero leading length (the rows); received "
            f"shapes {[jnp.shape(leaf) for leaf in leaves]}."
        )
    (length,) = lengths
    assert length is not None  # refused above
    return length


def _pad_rows(tree, multiple: int):
    """Every leaf's leading axis padded to a multiple of `multiple` by repeating its last row."""
    extra = (-_n_rows(tree)) % multiple

    def pad(leaf):
        leaf = jnp.asarray(leaf)
        return jnp.pad(leaf, [(0, extra)] + [(0, 0)] * (leaf.ndim - 1), mode="edge") if extra else leaf

    return jax.tree_util.tree_map(pad, tree)


def shard_rows(rows, mesh: Mesh | None = None):
    r"""Place arrays on the devices of `mesh`, their leading axis (rows) split in equal blocks.

    Each leaf of the pytree `rows` must have the same leading length $N$; it is padded to
    $\lceil N/D\rceil D$ rows ($D$ = `mesh.size`) by repeating its last row, and device $i$
    holds rows $[iN_D, (i+1)N_D)$ of the padded array, $N_D = \lceil N/D\rceil$. Keep $N$ to strip
    the padding later (`result[:N]`). Use it to place particles once before a jitted
    computation; `map_rows` and `sharded_kernel_sums` pad and place by themselves.

    **Arguments:** `rows` (a pytree of arrays), `mesh` (default `device_mesh()`).

    **Returns:** the padded pytree, each leaf a `jax.Array` with `NamedSharding(mesh, P(axis))`.

    **Example:**

    ```python
    import jax
    from dualflow.sharding import shard_rows
    x = shard_rows(jax.random.normal(jax.random.PRNGKey(0), (1000, 2)))
    [shard.data.shape for shard in x.addressable_shards]   # [(250, 2)] * 4 on 4 devices
    ```
    """
    mesh = _auto_mesh(mesh)
    sharding = NamedSharding(mesh, _rows_spec(mesh))
    return jax.tree_util.tree_map(lambda leaf: jax.device_put(leaf, sharding), _pad_rows(rows, mesh.size))


def map_rows(fn: Callable, rows, *shared, mesh: Mesh | None = None, gather: bool = False):
    r"""Apply the row-wise function `fn` with the rows split across the devices of `mesh`.

    `fn(rows, *shared)` must be row-wise: row $n$ of every output depends only on row $n$ of
    `rows` (a `jax.vmap`ped function, `kernel_sums` in its evaluation points). The rows are
    padded to a multiple of $D$ = `mesh.size` (last row repeated), split in $D$ equal blocks,
    `shared` is replicated, and device $i$ computes `fn(block_i, *shared)` (`jax.shard_map`, no
    communication). The padded rows are stripped from the outputs.

    **Arguments:**

    - `fn`: the row-wise function; its outputs are pytrees of arrays with a leading axis of rows.
    - `rows`: a pytree of arrays with the same leading length $N$.
    - `shared`: pytrees every row needs (replicated on every device).
    - `mesh`: the devices (default `device_mesh()`, all of them).
    - `gather`: return the outputs replicated on every device (one all-gather at the end), so
      every process of a multi-host run can read them with `np.asarray`. Otherwise outputs with
      $N$ a multiple of $D$ stay sharded by rows.

    **Returns:** `fn`'s outputs for the $N$ rows, as on one device.

    Works eagerly and under `jax.jit` (the mesh is static). Closing over traced values is fine.

    **Example:**

    ```python
    import jax, jax.numpy as jnp
    from dualflow.sharding import map_rows
    rates = jnp.linspace(0.01, 1.0, 30)                         # 30 configurations
    decay = map_rows(jax.vmap(lambda r, t: jnp.exp(-r * t), in_axes=(0, None)), rates, 2.0)
    ```
    """
    mesh = _auto_mesh(mesh)
    n = _n_rows(rows)
    spec = _rows_spec(mesh)
    padded = _pad_rows(rows, mesh.size)
    # check_vma=False: `fn` is any single-device code (e.g. a scan whose initial carry is a constant);
    # its blocks are independent by contract, so there is nothing for the replication checker to prove.
    out = jax.shard_map(
        fn, mesh=mesh, in_specs=(spec,) + (PartitionSpec(),) * len(shared), out_specs=spec, check_vma=False
    )(padded, *shared)
    if gather:
        out = jax.lax.with_sharding_constraint(out, NamedSharding(mesh, PartitionSpec()))
    return jax.tree_util.tree_map(lambda leaf: leaf[:n], out)


@eqx.filter_jit
def _sharded_sums(kernel, x, centres, coefs, mesh, block):
    def block_sums(xb, kernel, centres, coefs):
        return kernel_sums(kernel, xb, centres, coefs, block=block)

    return map_rows(block_sums, x, kernel, centres, coefs, mesh=mesh)


def sharded_kernel_sums(
    kernel: AbstractRadialKernel, x, centres, coefs, *, mesh: Mesh | None = None, block: int | None = None
):
    r"""`kernel_sums` with the evaluation points split across devices: witness values and gradients

    $$\Big(\sum_k \beta_k K(x_n, z_k),\ \sum_k \beta_k \nabla_x K(x_n, z_k)\Big)_{n \le N}$$

    with the rows $x_n$ in $D$ = `mesh.size` equal blocks (padded, see the module) and the centres
    $(z_k, \beta_k)$ and the kernel replicated. Device $i$ runs `kernel_sums` on its
    $\lceil N/D\rceil$ rows against all $M$ centres (dense or chunked by its own block's size), so
    its memory is $O(N/D + M + \texttt{block}^2)$ and its work $N M / D$ pairs; nothing is
    communicated. One compiled call (`eqx.filter_jit`, the mesh static).

    **Arguments:** as `kernel_sums` (`kernel`, `x` `(N, d)`, `centres` `(M, d)`, `coefs` `(M,)`,
    `block`), and `mesh` (default `device_mesh()`, all devices).

    **Returns:** `(values (N,), grads (N, d))`, sharded by rows when $D$ divides $N$
    (replicated otherwise).

    **Example:**

    ```python
    import jax
    import dualflow as df
    from dualflow.sharding import sharded_kernel_sums
    k_data, k_x = jax.random.split(jax.random.PRNGKey(0))
    ring = df.ring8(k_data, 2_000)
    x = jax.random.normal(k_x, (1_000, 2))
    values, grads = sharded_kernel_sums(df.Gaussian(0.4), x, ring.points, ring.masses)
    ```
    """
    if not isinstance(kernel, AbstractRadialKernel):
        raise TypeError(f"`kernel` must be a radial kernel (e.g. Gaussian); received {type(kernel).__name__}.")
    if jnp.ndim(x) != 2 or jnp.ndim(centres) != 2 or jnp.shape(x)[1] != jnp.shape(centres)[1]:
        raise ValueError(
            f"`x` and `centres` must be (n, d) and (m, d) arrays of the same d; received shapes "
            f"{jnp.shape(x)} and {jnp.shape(centres)}."
        )
    if jnp.shape(coefs) != (jnp.shape(centres)[0],):
        raise ValueError(f"`coefs` must have shape ({jnp.shape(centres)[0]},); received {jnp.shape(coefs)}.")
    return _sharded_sums(kernel, x, centres, coefs, _auto_mesh(mesh), block)
