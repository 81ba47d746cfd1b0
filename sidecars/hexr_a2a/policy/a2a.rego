# Who may call this agent's sidecar. Deny by default.
#
# input: {caller: {trust_domain, tenant, agent, role}, target: {trust_domain, tenant, agent}}
# caller comes from the verified X.509-SVID of the mTLS connection, never from the request.
# data.callers (optional): agent names of the target's tenant allowed to call ("*" = any);
#   absent = every agent of the tenant.
# data.cross_tenant: [{tenant, agents: [name | "*"]}] callers of OTHER tenants allowed.
package hexr.a2a

import rego.v1

default allow := false

allow if {
	same_domain
	input.caller.tenant == input.target.tenant
	same_tenant_caller
}

allow if {
	same_domain
	input.caller.tenant != input.target.tenant
	some pair in data.cross_tenant
	pair.tenant == input.caller.tenant
	matches(object.get(pair, "agents", ["*"]), input.caller.agent)
}

same_domain if {
	input.caller.trust_domain == input.target.trust_domain
	input.caller.agent != ""
}

same_tenant_caller if not data.callers

same_tenant_caller if matches(data.callers, input.caller.agent)

matches(allowed, _) if "*" in allowed

matches(allowed, value) if value in allowed
