# A global ARG's default may use the platform ARGs: BuildKit's global
# scope has them.
ARG TARGET=${TARGETPLATFORM}
ARG BASE=alpine
FROM ${BASE}:3.20-${TARGETARCH} AS base
ARG TARGET
RUN echo "building for $TARGET"
