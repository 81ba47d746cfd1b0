#!/bin/sh
# One-shot: a join token for the compose host's SPIRE agent and the registration entries
# that give each container the same SPIFFE ID as `hexr dev up` would (idempotent).
set -eu
SOCK="-socketPath /run/spire/server/api.sock"
TD=hexr.local
PARENT="spiffe://$TD/spire/agent/compose"
until spire-server healthcheck $SOCK >/dev/null 2>&1; do sleep 1; done
if [ ! -s /run/spire/join/token ]; then
  spire-server token generate $SOCK -spiffeID "$PARENT" -ttl 86400 \
    | sed -n 's/^Token: //p' > /run/spire/join/token
fi
entry() {  # SPIFFE ID, docker label value
  if ! spire-server entry show $SOCK -spiffeID "$1" | grep -q "Entry ID"; then
    spire-server entry create $SOCK -parentID "$PARENT" -spiffeID "$1" \
      -selector "docker:label:hexr.io/process:$2"
  fi
}
entry "spiffe://$TD/agent/acme/analyst/main" acme.analyst.main
entry "spiffe://$TD/agent/acme/analyst/injector" acme.analyst.injector
entry "spiffe://$TD/agent/acme/analyst/a2a" acme.analyst.a2a
entry "spiffe://$TD/service/vault-bootstrap" vault-bootstrap
