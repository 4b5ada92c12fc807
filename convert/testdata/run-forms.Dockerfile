FROM debian:bookworm
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN echo "shell form" > /a
RUN ["/bin/echo", "exec form"]
RUN apt-get update \
    # a comment Docker drops
    && apt-get install -y --no-install-recommends \
        curl \
        git \
    && rm -rf /var/lib/apt/lists/*
RUN <<EOF
set -e
echo heredoc > /b
EOF
RUN cat > /c <<EOT
from stdin
EOT
RUN --network=none make test
CMD echo "shell cmd"
