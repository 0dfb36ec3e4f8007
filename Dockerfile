# syntax=docker/dockerfile:1
#
# odn in a container: one static binary, no shell, non-root.
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t odn .
#   docker run -p 8080:8080 -v odn-data:/data \
#     -e ODN_BASE_URL=https://city.example odn
#
# Data (SQLite database, uploads) lives in the volume /data; set ODN_DB to
# a postgres:// URL to use PostgreSQL instead. `make docker` builds it.

ARG GO_VERSION=1.26

# Build on the builder's own platform and cross-compile (pure Go, CGO off),
# so multi-platform builds need no emulation.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/odn ./cmd/odn \
 && mkdir -p /out/data

# distroless/static: CA certificates, tzdata and a "nonroot" user (65532),
# nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/odn /odn
# The volume starts from this directory, so it must already belong to the
# user: WORKDIR or VOLUME alone would create it owned by root.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV ODN_DATA=/data \
    ODN_ADDR=:8080
WORKDIR /data
VOLUME /data
EXPOSE 8080
# The image has no shell or curl: the binary checks itself. It GETs
# http://127.0.0.1:8080/healthz; if you change ODN_ADDR, set ODN_URL to
# the matching health URL.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/odn", "healthcheck"]
ENTRYPOINT ["/odn"]
CMD ["serve"]
