FROM golang:1.22 AS build
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod,id=gomod,sharing=locked \
    --mount=type=bind,source=go.mod,target=/src/go.mod \
    --mount=type=secret,id=netrc,target=/root/.netrc \
    --mount=type=tmpfs,target=/tmp \
    go build -o /out/app ./...
RUN --mount=type=secret,id=token,env=TOKEN --mount=type=ssh true
RUN --mount=type=cache,target=/var/cache/apt,uid=1000 true
RUN --mount=type=cache,target=/home/app/.cache,uid=1000,gid=1000,mode=0700 --mount=type=cache,target=/c,mode=1777,ro true
RUN --mount=type=secret,id=cfg,uid=1000,gid=50,mode=0440 true

FROM scratch
COPY --from=build /out/app /app
RUN --mount=type=bind,from=build,source=/out,target=/in,rw ["/in/app", "--check"]
ENTRYPOINT ["/app"]

FROM build AS user
USER app
RUN --mount=type=secret,id=token cat /run/secrets/token
RUN --mount=type=secret,id=token,uid=1000 cat /run/secrets/token
USER root:staff
RUN --mount=type=secret,id=token cat /run/secrets/token

FROM user
RUN --mount=type=secret,id=token,gid=5 cat /run/secrets/token
USER 0
RUN --mount=type=secret,id=token cat /run/secrets/token
