ARG VARIANT=alpine
# The platform built for is gun's too.
FROM --platform=$TARGETPLATFORM alpine AS build-alpine
WORKDIR /src
FROM debian AS build-debian
WORKDIR /src
# The stage the ARG chooses: a relative mount target is in its WORKDIR.
FROM build-${VARIANT} AS build
RUN --mount=type=bind,target=.,rw make
