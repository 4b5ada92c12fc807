FROM debian:bookworm-slim
# Comments and blank lines inside a continued instruction are dropped by Docker.
RUN set -eux; \
    # the build dependencies
    apt-get update; \

    apt-get install -y --no-install-recommends \
        ca-certificates \
        # for the download
        wget \
    ; \
    rm -rf /var/lib/apt/lists/*
ENV A=1 \
    # a comment between pairs
    B=2
LABEL one="1" \
      two="2"
EXPOSE 80 \
       443
