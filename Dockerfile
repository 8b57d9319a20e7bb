# syntax=docker/dockerfile:1
#
# One file, one build stage, one final target per binary:
#   docker build --target customers-api -t backoffice/customers-api .
#   (targets: customers-api, orders-api, orchestrator, migrate)
# One file because the binaries share everything but their main package: one Go version,
# one module download and one build cache to keep right, and docker compose builds the
# shared stage once for all four images.
#
# The final images are distroless "static" (CA certificates, tzdata, /etc/passwd with the
# nonroot user, no shell): the binaries are static (CGO_ENABLED=0) and run as uid 65532.
# Having no shell or curl, each service image carries /healthcheck, a tiny Go binary that
# GETs http://127.0.0.1:$PORT/health; HEALTHCHECK and docker-compose.yml both run it.

# Base images are pinned. The Go image by its exact release (the go.mod version): no registry
# could be reached where this was written to read its digest; pin it with
# `docker buildx imagetools inspect golang:1.26.8-bookworm`. Distroless publishes no version
# tags, so it is pinned by the digest of :nonroot (as of 2026-08-26, the digest public
# repositories pin; refresh with `crane digest gcr.io/distroless/static-debian12:nonroot`).
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOOS=linux GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/customers-api ./bootstrap/customersapi && \
    go build -ldflags="-s -w" -o /out/orders-api ./bootstrap/ordersapi && \
    go build -ldflags="-s -w" -o /out/orchestrator ./bootstrap/orchestrator && \
    go build -ldflags="-s -w" -o /out/migrate ./bootstrap/migrate && \
    go build -ldflags="-s -w" -o /out/healthcheck ./bootstrap/healthcheck

FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=build /out/healthcheck /healthcheck
USER nonroot:nonroot

FROM runtime AS customers-api
COPY --from=build /out/customers-api /customers-api
ENV PORT=3001
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/healthcheck"]
ENTRYPOINT ["/customers-api"]

FROM runtime AS orders-api
COPY --from=build /out/orders-api /orders-api
ENV PORT=3002
EXPOSE 3002
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/healthcheck"]
ENTRYPOINT ["/orders-api"]

FROM runtime AS orchestrator
COPY --from=build /out/orchestrator /orchestrator
ENV PORT=3003
EXPOSE 3003
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["/healthcheck"]
ENTRYPOINT ["/orchestrator"]

FROM ${RUNTIME_IMAGE} AS migrate
COPY --from=build /out/migrate /migrate
USER nonroot:nonroot
ENTRYPOINT ["/migrate"]
