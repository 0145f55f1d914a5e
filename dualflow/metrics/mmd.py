r"""Maximum mean discrepancy between two weighted empirical measures.

For a kernel $K$ and measures $\mu = \sum_i a_i \delta_{x_i}$, $\nu = \sum_k b_k \delta_{y_k}$,

$$\mathrm{MMD}_K^2(\mu, \nu) = \sum_{i,j} a_i a_j K(x_i, x_j) - 2 \sum_{i,k} a_i b_k K(x_i, y_k)
+ \sum_{k,l} b_k b_l K(y_k, y_l) = \|m_\mu - m_\nu\|_{\mathcal H}^2 ,$$

the squared RKHS distance between the kernel mean embeddings. The masses are used as
given (nothing is normalized), matching the kernel game of [docs/science.md §2][science-kernel-game] where the two
measures may carry different total masses.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..kernels.radial import AbstractRadialKernel
from ..kernels.sums import kernel_sums
from ..measures.measure import Measure
from ._checks import check_measure_pair


def _check_kernel(kernel) -> None:
    if not isinstance(kernel, AbstractRadialKernel):
        raise TypeError(
            f"`kernel` must be a dualflow radial kernel (e.g. `Gaussian`, `Laplace`); received {type(kernel).__name__}."
        )


@eqx.filter_jit
def _mmd_squared(kernel, x, a, y, b):
    # compiled so that the unused gradients of `kernel_sums` are dead code; a float32 and a
    # float64 measure are compared in float64 (explicitly, so strict promotion holds)
    dtype = np.promote_types(x.dtype, y.dtype)
    atoms = jnp.concatenate([x.astype(dtype), y.astype(dtype)], axis=0)
    coefs = jnp.concatenate([a.astype(dtype), -b.astype(dtype)], axis=0)
    witness, _ = kernel_sums(kernel, atoms, atoms, coefs)
    return coefs @ witness


def mmd_squared(kernel: AbstractRadialKernel, mu: Measure, nu: Measure):
    r"""Squared maximum mean discrepancy $\mathrm{MMD}_K^2(\mu, \nu)$, masses as given.

    Computed as $\sum_n c_n f(z_n)$ with the signed measure $\mu - \nu$ written as atoms
    $z = (x, y)$, coefficients $c = (a, -b)$ and witness $f(z_n) = \sum_m c_m K(z_n, z_m)$,
    evaluated by `kernel_sums`, so memory is linear in the number of atoms (no
    $(n+m)\times(n+m)$ matrix on large problems).

    For a kernel that is not positive definite (e.g. `Energy`, only conditionally so) or
    through round-off the value can be slightly negative; it is returned as computed.

    **Arguments:**

    - `kernel`: a radial kernel.
    - `mu`, `nu`: measures in the same dimension $d$.

    **Returns:** a scalar array, $\mathrm{MMD}_K^2(\mu, \nu)$.

    **Example:**

    ```python
    mmd_squared(Gaussian(1.0), Measure(x), Measure(y))
    ```
    """
    _check_kernel(kernel)
    check_measure_pair(mu, nu)
    return _mmd_squared(kernel, mu.points, mu.masses, nu.points, nu.masses)


def mmd(kernel: AbstractRadialKernel, mu: Measure, nu: Measure):
    r"""Maximum mean discrepancy $\mathrm{MMD}_K(\mu, \nu) = \sqrt{\max(\mathrm{MMD}_K^2, 0)}$.

    The clamp at zero removes round-off negatives before the square root.

    **Arguments:** as `mmd_squared`.

    **Returns:** a scalar array, $\mathrm{MMD}_K(\mu, \nu) \ge 0$.
    """
    return jnp.sqrt(jnp.maximum(mmd_squared(kernel, mu, nu), 0.0))
