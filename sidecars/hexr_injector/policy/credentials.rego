# Which agent may obtain which credential. Deny by default.
#
# input: {spiffe_id, tenant, agent, service, region}; tenant and agent come from the
# caller's verified SPIFFE ID, never from the request body.
# data.grants: [{tenant, agents: [name | "*"], services: [name], regions: [name | "*"]}]
package hexr.credentials

import rego.v1

default allow := false

allow if {
	some grant in data.grants
	grant.tenant == input.tenant
	matches(grant.agents, input.agent)
	input.service in grant.services
	matches(object.get(grant, "regions", ["*"]), input.region)
}

matches(allowed, _) if "*" in allowed

matches(allowed, value) if value in allowed
