# Which agent may do what under its tenant's vault tree.
#
# Input: {"tenant", "agent", "path" (tenant-relative prefix ending in "/", or "" for
# transit), "op" ("read" | "list" | "write" | "encrypt" | "decrypt")}.
# Data (optional, operator-supplied):
#   "restricted": {tenant: {prefix: [agents...]}}  shared prefixes only those agents read
#   "writable":   {tenant: {prefix: [agents...]}}  extra prefixes those agents may write
#
# hexr_vault evaluates this at enrollment and compiles the answers into the agent's
# OpenBao ACL policy, so the server enforces it. Deny by default.
package hexr.vault

import rego.v1

default allow := false

own_prefix := concat("", ["agents/", input.agent, "/"])

# An agent reads, lists and writes its own prefix.
allow if {
	input.op in {"read", "list", "write"}
	startswith(input.path, own_prefix)
}

# Tenant-shared secrets: every agent of the tenant reads them, except restricted prefixes.
allow if {
	input.op in {"read", "list"}
	startswith(input.path, "shared/")
	not restricted_for_agent
}

restricted_for_agent if {
	some prefix, agents in object.get(data.restricted, input.tenant, {})
	startswith(input.path, prefix)
	not input.agent in agents
}

# Operator-granted extra writable prefixes.
allow if {
	input.op == "write"
	some prefix, agents in object.get(data.writable, input.tenant, {})
	startswith(input.path, prefix)
	input.agent in agents
}

# The tenant's transit key.
allow if input.op in {"encrypt", "decrypt"}
