# syntax=docker/dockerfile:1.7
# SPIRE agent and server CLIs on a small base with a shell, for the compose setup step
# (join token, registration entries) and the agent's start script. SPIRE's own images have
# no shell. Build: docker build -f deploy/docker/spire-tools.Dockerfile -t hexr/spire-tools .
ARG SPIRE_VERSION=1.11.2
FROM ghcr.io/spiffe/spire-server:${SPIRE_VERSION} AS server
FROM ghcr.io/spiffe/spire-agent:${SPIRE_VERSION} AS agent

FROM alpine:3.20
RUN addgroup -g 10001 spire && adduser -D -H -u 10001 -G spire spire
COPY --from=server /opt/spire/bin/spire-server /usr/local/bin/spire-server
COPY --from=agent /opt/spire/bin/spire-agent /usr/local/bin/spire-agent
USER 10001:10001
ENTRYPOINT []
