"""Local fakes of source systems, served over real HTTP on 127.0.0.1 for tests and demos."""

from tests.fakes.servicenow import FakeServiceNow, Fault, generate_landscape

__all__ = ["FakeServiceNow", "Fault", "generate_landscape"]
