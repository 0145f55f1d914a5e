r"""The two non-uniform FFTs of the spectral lattice, from `jax-finufft` (Flatiron's FINUFFT).

- `points_to_lattice` (type 1): $\hat c_k = \sum_j c_j\,e^{-i k\cdot u_j}$ on the modes
  $k \in \{-K, \dots, K\}^d$;
- `lattice_to_points` (type 2): $g(u_j) = \sum_k \hat g_k\,e^{+i k\cdot u_j}$, with any leading
  batch axes of $\hat g$ sharing the points (one call for a value and its $d$ derivatives).

Points are angles $u_j \in [-\pi, \pi)^d$, shape `(n, d)`. Both transforms are differentiable
(`jax.grad`, `jax.jacfwd`) and `jit`-compatible; their precision `eps` is FINUFFT's.

**A workaround for jax 0.10.** jax-finufft 1.3.1's batching rule (what `jax.vmap` calls) reads
`jax._src.interpreters.batching.not_mapped`, a name jax 0.10 removed; jax marks an unmapped axis
by `None`, the value that name was bound to. So `jax.vmap` of any function that reaches a NUFFT
failed with `AttributeError: ... has no attribute 'not_mapped'`. This module restores the name
(only where it is missing) before jax-finufft is imported, which makes the library's own rule
(unmapped points: one batched transform; mapped points: the batch axis on its leading axes) work
as written. `jax.custom_batching.custom_vmap` onto the batch axes was tried first and rejected:
a `custom_vmap` function has no reverse-mode derivative, and the flows need `jax.grad` under
`vmap`. `tests/test_spectral_sums.py` checks vmapped, nested-vmapped and vmapped-gradient
transforms against Python loops.

**A second workaround.** jax-finufft's derivative rules (with respect to the points) rely on
implicit rank and dtype promotion, so under `jax_numpy_rank_promotion="raise"` or
`jax_numpy_dtype_promotion="strict"` differentiating through a transform failed (as
`linearize(method="jacfwd")` of a spectral state does). Both transforms are therefore traced
under `_library_promotion()`, which allows what the library needs while dualflow's own code stays
under the caller's settings: forward mode now works under strict settings (tested: the tests
run strict). Reverse mode with respect to the points (`ProximalGDA`'s implicit G-step minimises
through the witness) still needs jax's default promotion, because jax applies transpose rules
after the traced call has returned, outside any context the call can set.
"""

from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
from jax._src.interpreters import batching

if not hasattr(batching, "not_mapped"):  # jax >= 0.10 (see the module docstring)
    batching.not_mapped = None  # type: ignore[attr-defined]  # the very name this restores

from jax_finufft import nufft1, nufft2
from jax_finufft.options import Opts

#: The complex dtype of each real dtype.
COMPLEX = {"float32": jnp.complex64, "float64": jnp.complex128}
#: Below this many points a transform runs on one thread: FINUFFT's thread team costs about 3 ms
#: per call, more than a small transform itself (2-D, 47^2 modes, 1000 points, 2-core CPU: 0.85 ms
#: on one thread against 4.5 ms on two; at 10^5 points two threads are 1.1-2.4x faster).
THREADED_POINTS = 20_000


def _library_promotion():
    """Implicit rank and dtype promotion, as jax-finufft's derivative rules need them."""
    stack = contextlib.ExitStack()
    stack.enter_context(jax.numpy_rank_promotion("allow"))
    stack.enter_context(jax.numpy_dtype_promotion("standard"))
    return stack


def _opts(n_points: int) -> Opts:
    return Opts(nthreads=1) if n_points < THREADED_POINTS else Opts()


def points_to_lattice(coefs, u, modes: int, eps: float):
    r"""$\hat c_k = \sum_j c_j e^{-i k\cdot u_j}$, shape `(modes,) * d`, for real or complex `coefs` `(n,)`
    (or `(B, n)`: `B` transforms sharing the points) and angles `u` `(n, d)`."""
    dtype = COMPLEX[u.dtype.name]
    with _library_promotion():
        return nufft1((modes,) * u.shape[1], coefs.astype(dtype), *u.T, iflag=-1, eps=eps, opts=_opts(u.shape[0]))


def lattice_to_points(coefs_hat, u, eps: float):
    r"""$g(u_j) = \sum_k \hat g_k e^{i k\cdot u_j}$, shape `(..., n)`, for `coefs_hat` `(..., modes, ..., modes)`."""
    with _library_promotion():
        return nufft2(coefs_hat, *u.T, iflag=1, eps=eps, opts=_opts(u.shape[0]))
