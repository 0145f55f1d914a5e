"""The array shapes dualflow's annotations name, in one place (jaxtyping; shapes are documentation,
not checked at run time). Letters: `n` points of a measure (`N` generator particles, `M` data
points), `d` the dimension, `S` saved times, `K` modes."""

from __future__ import annotations

from jaxtyping import Array, Bool, Float, Int

#: Atoms of a measure, `(n, d)`.
Points = Float[Array, "n d"]
#: Their masses, `(n,)`.
Masses = Float[Array, " n"]
#: One point, `(d,)`.
Vector = Float[Array, " d"]
#: Saved times of a run, `(S,)`.
Times = Float[Array, " S"]
#: Positions at the saved times, `(S, N, d)`.
Trajectory = Float[Array, "S N d"]
#: One value per saved time, `(S,)`.
TimeSeries = Float[Array, " S"]
#: One value per mode, `(K,)`, and a flag per mode.
PerMode = Float[Array, " K"]
ModeFlags = Bool[Array, " K"]
#: Scalars held as arrays (traced through `jit`, `vmap`).
Scalar = Float[Array, ""]
IntScalar = Int[Array, ""]
