# The agent as a container image. It drives the host's engine through the socket you mount into it:
#
#   docker build -t agent .
#   docker run -d --name agent --restart unless-stopped \
#     -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /srv/agent/manifests:/srv/agent/manifests:ro -e AGENT_Agent__Manifests=/srv/agent/manifests \
#     -v agent-state:/var/lib/agent -p 127.0.0.1:8098:8098 agent
#
# Mount the manifests folder at the same path as on the host: bind mounts in manifests are relative to it and the
# engine resolves them on the host. Keep /var/lib/agent on a volume: it holds the instance id (the label the agent's
# containers carry), runtime overrides and the generated admin token. The agent runs as the unprivileged user 1654
# ("app" in the .NET images); --group-add gives it the socket's group, nothing more.
#
# The image ships the Native AOT agent (one native executable, no .NET runtime, no JIT): the build stage installs the
# C toolchain ILC links with (clang, zlib1g-dev) unless its base already has one; the final stage needs only what
# runtime-deps holds (libc, OpenSSL, CA certificates). Both base images are build arguments so that a machine without a
# registry can use local ones (eng/build-image.sh makes them).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0

FROM ${SDK_IMAGE} AS build
RUN if ! { command -v clang || command -v gcc; } >/dev/null 2>&1 || [ ! -e /usr/include/zlib.h ]; then \
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang zlib1g-dev \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Agent.Core/Agent.Core.csproj src/Agent.Core/
COPY src/Agent.Engine/Agent.Engine.csproj src/Agent.Engine/
COPY src/Agent/Agent.csproj src/Agent/
RUN case "$(uname -m)" in aarch64|arm64) echo linux-arm64 ;; *) echo linux-x64 ;; esac > /rid \
 && dotnet restore src/Agent/Agent.csproj -r "$(cat /rid)" -p:PublishAot=true
COPY src/ src/
RUN dotnet publish src/Agent/Agent.csproj -c Release -r "$(cat /rid)" -p:PublishAot=true --no-restore -o /app \
 && rm -f /app/*.dbg /app/*.pdb \
 && mkdir -p /state

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build /app ./
COPY manifests/schema /app/schema
COPY --from=build --chown=1654:1654 /state /var/lib/agent
# Inside the container the agent listens on all of the container's addresses; publish it on the host's loopback
# (-p 127.0.0.1:8098:8098) unless you mean to expose it.
ENV AGENT_Urls=http://0.0.0.0:8098 \
    AGENT_Agent__StateDir=/var/lib/agent \
    AGENT_Agent__Manifests=/manifests
VOLUME ["/var/lib/agent"]
EXPOSE 8098
LABEL org.opencontainers.image.title="agent" \
      org.opencontainers.image.description="Desired-state agent for one Docker host"
STOPSIGNAL SIGTERM
USER 1654:1654
ENTRYPOINT ["/app/agent"]
CMD ["run"]
