"""Test configuration: float64 everywhere, strict dtype promotion and rank checks, so
broadcasting and silent dtype mixing fail loudly."""

import jax
import pytest

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def key():
    return jax.random.PRNGKey(0)
