"""Solvers behind one entry point: discrete GDA and continuous dual flows."""

from .base import AbstractSolver as AbstractSolver, AbstractSteppedSolver as AbstractSteppedSolver
from .dual_flow import DualFlow as DualFlow
from .extragradient import Extragradient as Extragradient
from .gda import GDA as GDA
from .optimistic import OptimisticGDA as OptimisticGDA
from .proximal import ProximalGDA as ProximalGDA
from .schemes import DISCRETE_SCHEMES as DISCRETE_SCHEMES, SCHEMES as SCHEMES, scheme_solver as scheme_solver
from .solution import Result as Result, Solution as Solution
from .solve import solve as solve
