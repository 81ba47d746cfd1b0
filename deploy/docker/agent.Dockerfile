# syntax=docker/dockerfile:1.7
# An agent image: the Hexr image plus the agent's code at /app (what `hexr deploy` runs as
# `python /app/<file>`) and its own dependencies. From the agent's directory:
#   docker build -f /path/to/hexr/deploy/docker/agent.Dockerfile \
#     --build-arg AGENT_FILE=agent.py -t registry.example/acme/analyst:1.0 .
ARG HEXR_IMAGE=ghcr.io/hexr/hexr:0.1.0

# Dependencies stage: the agent's requirements, installed into a separate prefix.
FROM ${HEXR_IMAGE} AS deps
USER root
COPY requirements.tx[t] /tmp/req/
RUN mkdir -p /opt/agent-deps \
 && if [ -f /tmp/req/requirements.txt ]; then \
      pip install --no-cache-dir --target /opt/agent-deps -r /tmp/req/requirements.txt; \
    fi

FROM ${HEXR_IMAGE}
ARG AGENT_FILE=agent.py
COPY --from=deps /opt/agent-deps /opt/agent-deps
ENV PYTHONPATH=/opt/agent-deps
COPY ${AGENT_FILE} /app/
USER 10001:10001
CMD ["python", "/app/agent.py"]
