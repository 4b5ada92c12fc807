# syntax=docker/dockerfile:1
# A small image.
ARG ALPINE=3.19
FROM alpine:${ALPINE}
LABEL org.opencontainers.image.title="demo" version="1.0"
ENV APP_HOME=/app \
    PORT=8080
WORKDIR $APP_HOME
# Packages.
RUN apk add --no-cache curl ca-certificates
COPY --chown=app:app --chmod=0755 entry.sh /usr/local/bin/
USER app
EXPOSE 8080 53/udp
VOLUME ["/data", "/logs"]
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/usr/local/bin/entry.sh"]
CMD ["--port", "8080"]

# A comment after the last instruction stays, at the end.
