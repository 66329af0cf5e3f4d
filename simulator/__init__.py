"""The simulated KIT landscape: what ServiceNow, Azure DevOps, time registration and the robots
would give, with planted effects written to a ground-truth manifest.

This package plays the source systems, so it imports neither ``extractors`` nor ``mining``.
"""

from simulator.effects import Scenario
from simulator.generate import SimulationSummary, simulate

__all__ = ["Scenario", "SimulationSummary", "simulate"]
