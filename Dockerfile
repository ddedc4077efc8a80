# Lede server image. Build: docker build -t lede . ; run: docker run -p 50051:50051 lede
# The default model is baked in at /models/default; mount another bundle there (or anywhere,
# with LEDE_MODEL) to override it, and send SIGHUP to reload it without a restart.

FROM rust:1.95-bookworm AS builder
WORKDIR /src
# Codegen is pure Rust (protox): no protoc needed.
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto proto
COPY src src
# Cargo validates every target the manifest declares, so the (small) test, bench and example
# sources come along even though only the server is built.
COPY tests tests
COPY benches benches
COPY examples examples
RUN cargo build --release --locked --bin lede-server \
    && strip target/release/lede-server

FROM debian:bookworm-slim
# The binary needs only glibc; no packages are installed.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin lede
COPY --from=builder /src/target/release/lede-server /usr/local/bin/lede-server
COPY models/default/model.lede models/default/MODEL_CARD.md /models/default/
USER 10001
ENV LEDE_ADDR=0.0.0.0:50051 \
    LEDE_MODEL=/models/default \
    RUST_LOG=info
# 50051: gRPC; 9100: Prometheus metrics (GET /metrics; LEDE_METRICS_ADDR=off disables it).
EXPOSE 50051 9100
# The server itself answers grpc.health.v1; the probe is the same binary, no extra tools.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/lede-server", "healthcheck", "--addr", "127.0.0.1:50051"]
# PID 1 is the server: it handles SIGTERM (drain, exit 0) and SIGHUP (reload the model).
ENTRYPOINT ["/usr/local/bin/lede-server"]
