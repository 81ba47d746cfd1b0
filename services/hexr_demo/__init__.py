"""``hexr demo``: the whole platform in one command (tenants, agents, refusals, summary)."""

from hexr_demo._run import DemoOptions, DemoResult, hold_until_interrupted, run_demo
from hexr_demo._summary import Metric, SpanNode

__all__ = ["DemoOptions", "DemoResult", "Metric", "SpanNode", "hold_until_interrupted", "run_demo"]
