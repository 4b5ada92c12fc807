# syntax=docker/dockerfile:1
# Every flag of the Dockerfile reference that the rest of the corpus does
# not use, with the forms of those it does.
FROM --platform=linux/amd64 alpine:3.20 AS base
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --start-interval=1s --retries=2 CMD ["/bin/true"]
RUN --security=insecure echo hi
RUN --security=sandbox echo sandboxed
RUN --device=/dev/fuse ls /dev/fuse
RUN --network=host wget -q https://example.com/
RUN --network=default echo default
RUN --mount=type=secret,id=a,required=true cat /run/secrets/a
RUN --mount=type=secret,id=b,env=B_TOKEN,required echo "$B_TOKEN"
RUN --mount=type=cache,target=/c,id=c1,sharing=private,ro=true ls /c
RUN --mount=type=cache,target=/d,uid=1000,gid=1000,mode=0700 ls /d
RUN --mount=type=bind,target=/src,rw ls /src
RUN --mount=type=bind,source=etc,target=/e,readonly ls /e
RUN --mount=type=tmpfs,target=/t,size=1048576 ls /t
COPY --chmod=u+x a /a
COPY --chmod=0755 --chown=1000:1000 b /b
COPY --link c /c
COPY --parents ./x/y /dst/
COPY --exclude=*.tmp d /d/
ADD --chown=1:2 --chmod=0600 https://example.com/f /f
ADD --keep-git-dir=true https://github.com/x/y.git /y
ADD --unpack=false local.tar.gz /l/
ADD --link local.tar.gz /m/
ADD --exclude=*.md dir /n/
FROM base
COPY --from=base /a /a
EXPOSE 80/tcp 81/udp 8000-8010
