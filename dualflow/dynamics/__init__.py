"""The coupled dynamics in one place: continuous vector fields and discrete GDA maps."""

from .gda_maps import STEP_ORDERS as STEP_ORDERS, gda_step as gda_step
from .vector_field import (
    dual_flow_field as dual_flow_field,
    history_quadrature_field as history_quadrature_field,
    memory_coefficients as memory_coefficients,
)
