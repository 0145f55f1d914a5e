r"""Memory-linear kernel sums: the witness and its gradient at many points.

For evaluation points $x_n$ and weighted centres $(z_k, \beta_k)$ these compute

$$f(x_n) = \sum_k \beta_k K(x_n, z_k), \qquad
\nabla f(x_n) = \sum_k \beta_k \nabla_x K(x_n, z_k) = 2 \sum_k \beta_k k'_{nk}\,(x_n - z_k),$$

with $k'_{nk} = k'(|x_n - z_k|^2)$ (zero at coincident points, see `radial`). In dimension
$d \le 8$ the differences are formed per coordinate; above, the gradient uses the matmul
form $2(\sum_k \beta_k k'_{nk}) x_n - 2\sum_k \beta_k k'_{nk} z_k$, faster but subject to
cancellation when $|x_n| \gg |x_n - z_k|$.
Small problems use one dense `(n, m)` block. Large ones are cut into `block x block`
tiles (fewer rows or columns when the problem is smaller): `lax.map` over row blocks, `lax.scan` over column blocks with a running sum,
so memory is $O(n + m + \text{block}^2)$, never $O(nm)$.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .radial import AbstractRadialKernel, squared_distances

#: Problems with at most this many pairs use a single dense block.
DENSE_PAIRS = 2**22
#: Tile edge of the chunked path (a tile holds `BLOCK**2` pairs).
BLOCK = 2048


def _dense_sums(kernel: AbstractRadialKernel, x, z, coefs):
    low_dim = x.shape[1] <= 8
    if low_dim:  # coordinate differences, reused for the gradient (no cancellation far from 0)
        diffs = [x[:, None, i] - z[None, :, i] for i in range(x.shape[1])]
        s = sum(d**2 for d in diffs)
    else:
        s = squared_distances(x, z)
    values = kernel.profile(s) @ coefs
    safe = jnp.where(s > 0, s, 1.0)
    a = jnp.where(s > 0, kernel.profile_derivative(safe), 0.0) * coefs[None, :]
    if low_dim:
        grads = 2 * jnp.stack([jnp.sum(a * d, axis=1) for d in diffs], axis=1)
    else:  # matmul form: fast in high dimension, but cancels when |x| >> |x - z|
        grads = 2 * (jnp.sum(a, axis=1)[:, None] * x - a @ z)
    return values, grads


def _pad_rows(a, multiple):
    extra = (-a.shape[0]) % multiple
    return jnp.pad(a, [(0, extra)] + [(0, 0)] * (a.ndim - 1)), extra


def _chunked_sums(kernel, x, z, coefs, block):
    n = x.shape[0]
    rows, cols = min(block, n), min(block, z.shape[0])
    xp, _ = _pad_rows(x, rows)
    zp, _ = _pad_rows(z, cols)
    cp, _ = _pad_rows(coefs, cols)  # padded centres carry zero weight
    z_blocks = zp.reshape(-1, cols, z.shape[1])
    c_blocks = cp.reshape(-1, cols)

    def row_block(xb):
        def add_column_block(acc, zc):
            v, g = _dense_sums(kernel, xb, *zc)
            return (acc[0] + v, acc[1] + g), None

        init = (jnp.zeros(xb.shape[0], dtype=x.dtype), jnp.zeros_like(xb))
        (v, g), _ = jax.lax.scan(add_column_block, init, (z_blocks, c_blocks))
        return v, g

    v, g = jax.lax.map(row_block, xp.reshape(-1, rows, x.shape[1]))
    return v.reshape(-1)[:n], g.reshape(-1, x.shape[1])[:n]


def kernel_sums(kernel: AbstractRadialKernel, x, centres, coefs, *, block: int | None = None):
    """Witness values and gradients $\\big(\\sum_k \\beta_k K(x_n, z_k),\\ \\sum_k \\beta_k \\nabla_x K(x_n, z_k)\\big)$.

    **Arguments:**

    - `kernel`: a radial kernel.
    - `x`: `(n, d)` evaluation points.
    - `centres`: `(m, d)` centres $z_k$; `coefs`: `(m,)` weights $\\beta_k$.
    - `block`: force the chunked path with this tile edge (`None`: dense when
      $nm \\le$ `DENSE_PAIRS`, else chunked with `BLOCK`).

    **Returns:** `(values (n,), grads (n, d))`.
    """
    n, m = x.shape[0], centres.shape[0]
    if block is None:
        if n * m <= DENSE_PAIRS:
            return _dense_sums(kernel, x, centres, coefs)
        block = BLOCK
    return _chunked_sums(kernel, x, centres, coefs, block)
