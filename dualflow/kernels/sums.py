r"""Memory-linear kernel sums: the witness and its gradient at many points.

For evaluation points $x_n$ and weighted centres $(z_k, \beta_k)$ these compute

$$f(x_n) = \sum_k \beta_k K(x_n, z_k), \qquad
\nabla f(x_n) = \sum_k \beta_k \nabla_x K(x_n, z_k) = 2 \sum_k \beta_k k'_{nk}\,(x_n - z_k),$$

with $k'_{nk} = k'(|x_n - z_k|^2)$ (zero at coincident points, see `radial`).

**Exponential profiles (Gaussian): one exponential per pair.** When $k'(s) = \lambda k(s)$
(`AbstractRadialKernel.log_profile_slope`), values and gradients come from the same
$t_{nk} = k(|x_n - z_k|^2)$: with a centre $o$ per block of centres,

$$\big(f(x_n),\ \nabla f(x_n)\big) = \Big(r_{n0},\ 2\lambda\big((x_n - o)\,r_{n0} - r_{n,1:}\big)\Big),
\qquad r_{nj} = \sum_k t_{nk} W_{jk}, \quad W = \begin{pmatrix}\beta^\top \\ (\beta_k (z_k - o))_k\end{pmatrix},$$

one fused reduction: on XLA's CPU backend (YNNPACK fusions, jax 0.10, 2 cores) it runs at
about 95% of the rate of the bare sum $\sum_k t_{nk}$ in float32 in 2-D, 65% in float64, where the
generic form below (values and $d$ gradient sums as separate reductions) runs at 6-7%
(`benchmarks/velocity_field.py`, `benchmarks/ceiling.py`). In dimension $d \le 8$ the squared distances are formed
from coordinate differences (exact zeros at coincident points); above, by the matmul
identity $|x - o|^2 + |z - o|^2 - 2 (x - o)\cdot(z - o)$ (clamped at 0). The gradient's
rounding error is about $\epsilon\,\rho/\sigma$ relative to $\sum_k |\beta_k| t_{nk}/\sigma$, where $\rho$
is the spread of the points around the block's centre $o$ (not their distance from the
origin): negligible in float64, up to about $10^{-5}$ in float32 for $\rho/\sigma \approx 200$.
A `Multiscale` kernel is summed component by component (linearity).

**Other kernels** take the generic path: $k(s)$ and $k'(s)$ separately, the gradient from
per-coordinate differences for $d \le 8$ (no cancellation), from the matmul form
$2(\sum_k \beta_k k'_{nk}) x_n - 2\sum_k \beta_k k'_{nk} z_k$ above.

Small problems (at most `DENSE_PAIRS` pairs) use one block. Large ones are cut into
`block x block` tiles (fewer rows or columns when the problem is smaller): `lax.map` over
row blocks, `lax.scan` over column blocks with a running sum, so memory is
$O(n + m + \text{block}^2)$, never $O(nm)$. Dense versus chunked, measured on a 2-core CPU
(Gaussian kernel, normal points, $n = m$): the two run at the same rate (within 5%)
from $6.5 \times 10^4$ to $10^6$ pairs (in 2-D up to $4 \times 10^6$); beyond, the dense block's
intermediates leave the caches and it slows down ($1.5\times$ at $4 \times 10^6$ pairs in 64-D,
$4\times$ at $1.7 \times 10^7$ pairs in 2-D float32), hence `DENSE_PAIRS` $= 2^{20}$.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..precision import cast_floating
from ..validation import check_choice, check_finite, check_int, check_points, check_positive, is_concrete, real_array
from .radial import AbstractRadialKernel, Multiscale, squared_distances
from .spectral import MAX_DIM, SpectralLattice, fit_to_points, spectral_sums

#: Problems with at most this many pairs use a single dense block.
DENSE_PAIRS = 2**20
#: Tile edge of the chunked path (a tile holds `BLOCK**2` pairs).
BLOCK = 1024
#: Cost model of `spectral_is_cheaper`, in units of one brute-force pair (float64, 2-D, 2-core CPU,
#: `tol` = 1e-10): a fixed cost per call (FINUFFT's plans), per point (spreading and interpolation)
#: and per lattice mode (the FFTs on the upsampled grid).
SPECTRAL_COST_FIXED = 1.5e6
SPECTRAL_COST_PER_POINT = 200
SPECTRAL_COST_PER_MODE = 250
#: Up to this dimension squared distances (and the generic gradient) use coordinate differences.
LOW_DIM = 8


# --- exponential profiles: one exponential per pair ------------------------------------------
def _exponential_columns(z, coefs):
    """Per block of centres: the centre $o$ (`(1, d)`) and the weights
    $W = [\\beta; \\beta (z - o)^\\top]$, `(d + 1, m)`."""
    o = jnp.mean(z, axis=0, keepdims=True)
    return jnp.concatenate([coefs[None, :], coefs[None, :] * (z - o).T]), o


def _exponential_tile(slope, x, z, columns):
    weights, o = columns
    xc = x - o
    if x.shape[1] <= LOW_DIM:
        t = jnp.exp(slope * squared_distances(x, z))
        # reduce over the minor axis of an (n, d + 1, m) product: one fused pass, one exp per pair
        r = jnp.sum(t[:, None, :] * weights[None, :, :], axis=2)
    else:
        zc = z - o
        s = jnp.sum(xc * xc, axis=1)[:, None] + jnp.sum(zc * zc, axis=1)[None, :] - 2 * (xc @ zc.T)
        r = jnp.exp(slope * jnp.maximum(s, 0)) @ weights.T
    return r[:, 0], 2 * slope * (xc * r[:, :1] - r[:, 1:])


# --- any radial kernel -------------------------------------------------------------------------
def _generic_columns(z, coefs):
    return coefs


def _generic_tile(kernel, x, z, coefs):
    low_dim = x.shape[1] <= LOW_DIM
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


def _tile_functions(kernel):
    """`(columns, tile)`: the per-column-block preparation and the block evaluation."""
    slope = kernel.log_profile_slope()
    if slope is None:
        return _generic_columns, lambda x, z, cols: _generic_tile(kernel, x, z, cols)
    return _exponential_columns, lambda x, z, cols: _exponential_tile(slope, x, z, cols)


# --- dense and chunked drivers ----------------------------------------------------------------
def _dense_sums(kernel, x, z, coefs):
    columns, tile = _tile_functions(kernel)
    return tile(x, z, columns(z, coefs))


def _chunked_sums(kernel, x, z, coefs, block):
    columns, tile = _tile_functions(kernel)
    n, m, dim = x.shape[0], z.shape[0], x.shape[1]
    rows, cols = min(block, n), min(block, m)
    xp = jnp.pad(x, [(0, (-n) % rows), (0, 0)])
    # padded centres repeat the last one (keeping each block's centre inside the data) and carry zero weight
    zp = jnp.pad(z, [(0, (-m) % cols), (0, 0)], mode="edge")
    cp = jnp.pad(coefs, [(0, (-m) % cols)])
    z_blocks = zp.reshape(-1, cols, dim)
    col_data = jax.vmap(columns)(z_blocks, cp.reshape(-1, cols))

    def row_block(xb):
        def add_column_block(acc, block_data):
            v, g = tile(xb, *block_data)
            return (acc[0] + v, acc[1] + g), None

        init = (jnp.zeros(xb.shape[0], dtype=x.dtype), jnp.zeros_like(xb))
        (v, g), _ = jax.lax.scan(add_column_block, init, (z_blocks, col_data))
        return v, g

    v, g = jax.lax.map(row_block, xp.reshape(-1, rows, dim))
    return v.reshape(-1)[:n], g.reshape(-1, dim)[:n]


METHODS = ("brute", "spectral", "auto")
"""The values of `kernel_sums(method=...)`."""


def kernel_sums(
    kernel: AbstractRadialKernel,
    x,
    centres,
    coefs,
    *,
    method: str = "brute",
    tol: float = 1e-10,
    lattice: SpectralLattice | None = None,
    block: int | None = None,
):
    """Witness values and gradients $\\big(\\sum_k \\beta_k K(x_n, z_k),\\ \\sum_k \\beta_k \\nabla_x K(x_n, z_k)\\big)$.

    **Arguments:**

    - `kernel`: a radial kernel.
    - `x`: `(n, d)` evaluation points.
    - `centres`: `(m, d)` centres $z_k$; `coefs`: `(m,)` weights $\\beta_k$.
    - `method`: `"brute"` (every pair, exact to rounding; the default), `"spectral"` (the
      lattice Fourier series and two NUFFTs, $O(n + m + G\\log G)$, error at most
      `tol` $K(0)\\sum|\\beta_k|$ in values and that over $\\sigma$ in gradients, see
      `kernels.spectral`; Gaussian and multiscale-Gaussian kernels, $d \\le 3$) or `"auto"`
      (spectral where it applies and its predicted cost, `spectral_is_cheaper`, is lower).
    - `tol`: the spectral tolerance (ignored by `"brute"`).
    - `lattice`: the spectral lattice to use (`None`: fitted to the concrete points; pass one
      inside `jit`/`vmap`).
    - `block`: force the chunked brute-force path with this tile edge (`None`: dense when
      $nm \\le$ `DENSE_PAIRS`, else chunked with `BLOCK`).

    **Returns:** `(values (n,), grads (n, d))` in the inputs' floating dtype (NumPy's promotion of
    `x`, `centres` and `coefs`: float32 inputs give float32 sums whether or not x64 is on; the
    kernel's parameters are cast to it).

    Non-finite concrete points or weights are refused (`ValueError`), as are misshapen arrays and
    a `kernel` that is not a radial kernel (`TypeError`), before anything is traced.

    ```python
    import jax.numpy as jnp
    import dualflow as df

    x = jnp.zeros((1, 2))
    values, grads = df.kernel_sums(df.Gaussian(1.0), x, jnp.array([[1.0, 0.0]]), jnp.array([2.0]))
    # values = 2 exp(-1/2), grads = 2 exp(-1/2) * (1, 0)   (the gradient points towards the centre)
    ```
    """
    check_choice("method", method, METHODS)
    check_positive("tol", tol)
    kernel, x, centres, coefs = _checked_arguments(kernel, x, centres, coefs)
    if block is not None:
        block = check_int("block", block, minimum=1)
    if method == "auto":
        method = "spectral" if spectral_is_cheaper(kernel, x, centres, tol) else "brute"
    if method == "spectral":
        if lattice is None:
            lattice = fit_to_points(kernel, tol, x, centres)
        return spectral_sums(kernel, x, centres, coefs, lattice)
    return _brute_sums(kernel, x, centres, coefs, block)


def _brute_sums(kernel, x, centres, coefs, block):
    """Every pair: one dense block or `block x block` tiles (checked arguments of `kernel_sums`)."""
    if isinstance(kernel, Multiscale):  # linearity: each component on its own (Gaussians: one exp per pair)
        parts = [_brute_sums(k, x, centres, coefs, block) for k in kernel.kernels]
        return (
            sum(w * v for w, (v, _) in zip(kernel.weights, parts)),
            sum(w * g for w, (_, g) in zip(kernel.weights, parts)),
        )
    n, m = x.shape[0], centres.shape[0]
    if block is None:
        if n * m <= DENSE_PAIRS:
            return _dense_sums(kernel, x, centres, coefs)
        block = BLOCK
    return _chunked_sums(kernel, x, centres, coefs, block)


def _checked_arguments(kernel, x, centres, coefs):
    """`(kernel, x, centres, coefs)` checked and in one floating dtype, NumPy's promotion of the
    three arrays' (float32 inputs give a float32 result whether or not x64 is on); `ValueError` /
    `TypeError` naming the argument for a non-kernel, non-numeric, non-finite or misshapen input."""
    if not isinstance(kernel, AbstractRadialKernel):
        raise TypeError(
            f"`kernel` must be a dualflow radial kernel (Gaussian, Laplace, ...); received {type(kernel).__name__}."
        )
    check_points("x", x)
    check_points("centres", centres)
    x, centres = jnp.asarray(x), jnp.asarray(centres)
    if x.shape[1] != centres.shape[1]:
        raise ValueError(f"`x` {x.shape} and `centres` {centres.shape} must have the same dimension d.")
    if is_concrete(coefs):
        check_finite("coefs", real_array("coefs", coefs, f"an array of shape ({centres.shape[0]},) of real numbers"))
    coefs = jnp.asarray(coefs)
    if coefs.shape != centres.shape[:1]:
        raise ValueError(
            f"`coefs` must have shape ({centres.shape[0]},), one weight per centre; received shape {coefs.shape}."
        )
    dtype = np.result_type(x.dtype, centres.dtype, coefs.dtype)
    dtype = dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)
    return cast_floating(kernel, dtype), x.astype(dtype), centres.astype(dtype), coefs.astype(dtype)


def spectral_is_cheaper(kernel, x, centres, tol: float) -> bool:
    """Whether the spectral sums are predicted to beat brute force for these (concrete) points:
    the lattice applies (Gaussian components, $d \\le 3$, concrete points) and its cost model,
    `SPECTRAL_COST_FIXED` plus `SPECTRAL_COST_PER_POINT` $(n + m)$ plus `SPECTRAL_COST_PER_MODE` $G$,
    is below $nm$ pairs
    (constants measured on a 2-core CPU, `benchmarks/spectral_sums.py`)."""
    if x.shape[1] > MAX_DIM:
        return False
    try:
        lattice = fit_to_points(kernel, tol, x, centres)
    except ValueError:  # no lattice for this kernel, or traced points
        return False
    cost = (
        SPECTRAL_COST_FIXED
        + SPECTRAL_COST_PER_POINT * (x.shape[0] + centres.shape[0])
        + SPECTRAL_COST_PER_MODE * lattice.size
    )
    return cost < x.shape[0] * centres.shape[0]
