# A build behind a proxy: docker build --build-arg HTTP_PROXY=http://proxy:3128
# gives every RUN the proxy variables (in both cases) without an ARG, outside
# the cache key and the history; gun build --arg does the same.
FROM debian:bookworm
RUN echo "Acquire::http::Proxy \"${HTTP_PROXY:-}\";" > /etc/apt/apt.conf.d/90proxy \
    && apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsS -o /tmp/page http://example.org/ && echo "$http_proxy $HTTPS_PROXY $https_proxy $NO_PROXY $no_proxy $ALL_PROXY $FTP_PROXY"
# Declared, FTP_PROXY is an ordinary ARG: its value counts in the cache key.
ARG FTP_PROXY
RUN curl -fsS --proxy "$FTP_PROXY" -o /tmp/file ftp://example.org/file
CMD ["curl", "http://example.org/"]
