# Which identity may list, call or register which gateway tool. Deny by default.
#
# input: {spiffe_id, tenant, agent, action ("list" | "call" | "register"), tool,
#         upstream, arguments (call only), target_tenant (register / cross-tenant list)}
# tenant and agent come from the caller's verified JWT-SVID, never from the request.
# data.grants:      [{tenant, agents: [name | "*"], tools: [glob], actions: [action]}]
# data.constraints: [{tenant, tool, argument, allowed: [value]}] narrow calls further
# data.operators:   [spiffe_id] may register specs and list for any tenant
package hexr.gateway

import rego.v1

default allow := false

allow if {
	input.target_tenant == input.tenant
	some grant in data.grants
	grant.tenant == input.tenant
	matches(grant.agents, input.agent)
	input.action in grant.actions
	some pattern in grant.tools
	glob.match(pattern, [], input.tool)
	not violates_constraint
}

allow if {
	input.spiffe_id in data.operators
	input.action in {"list", "register"}
}

violates_constraint if {
	input.action == "call"
	some c in data.constraints
	c.tenant in {"*", input.tenant}
	glob.match(c.tool, [], input.tool)
	not object.get(input.arguments, c.argument, null) in c.allowed
}

matches(allowed, _) if "*" in allowed

matches(allowed, value) if value in allowed
