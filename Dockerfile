# syntax=docker/dockerfile:1
#
# Multi-stage build of the gonghui service.
#   docker build -t gonghui .
#   docker run --rm -e GONGHUI_DATABASE_URL=... -p 8080:8080 gonghui          # serve
#   docker run --rm -e GONGHUI_DATABASE_URL=... gonghui migrate                # other subcommands

# ---- build stage ---------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the cargo registry and build artefacts between builds
# (BuildKit, the default builder). The binary is copied out of the cached
# target dir because cache mounts are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin gonghui \
    && install -m 0755 target/release/gonghui /usr/local/bin/gonghui

# ---- runtime stage -------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 gonghui \
    && useradd --system --uid 10001 --gid gonghui --no-create-home --shell /usr/sbin/nologin gonghui
COPY --from=builder /usr/local/bin/gonghui /usr/local/bin/gonghui
# Working directory for dev-mode keys (.dev-secrets/); production passes keys instead.
RUN mkdir -p /var/lib/gonghui && chown 10001:10001 /var/lib/gonghui
WORKDIR /var/lib/gonghui
# Numeric uid so that runAsNonRoot-style checks can verify it.
USER 10001:10001
ENV GONGHUI_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["gonghui"]
CMD ["serve"]
