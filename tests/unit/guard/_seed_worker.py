"""Run under a given PYTHONHASHSEED: redact secrets through the guard pipeline, print JSON."""

from __future__ import annotations

import json
import sys

from hexr.guard import GuardPolicy, ScannerSpec
from hexr.guard._pipeline import Pipeline

policy = GuardPolicy(prompt=[ScannerSpec(type="Secrets", action="redact")], output=[])
pipeline = Pipeline(policy)
out = []
for prompt in json.loads(sys.argv[1]):
    verdict = pipeline.scan("prompt", [prompt], {"tenant": "t", "agent_name": "a"})
    out.append({"valid": verdict.valid, "text": verdict.texts[0] if verdict.valid else None})
print(json.dumps(out))
