"""One floating dtype per run: the data's.

With `jax_enable_x64` on, Python floats become float64 leaves; mixing those with float32
data would silently promote a run (and break `scan` carries). The game and the solver are
therefore cast to the data's dtype before anything is compiled.
"""

from __future__ import annotations

from typing import TypeVar

import jax
import jax.numpy as jnp

Tree = TypeVar("Tree")


def cast_floating(tree: Tree, dtype) -> Tree:
    """`tree` with every floating-point array leaf cast to `dtype` (other leaves untouched)."""

    def cast(leaf):
        if isinstance(leaf, jax.Array) and jnp.issubdtype(leaf.dtype, jnp.floating):
            return leaf.astype(dtype)
        return leaf

    return jax.tree_util.tree_map(cast, tree)
