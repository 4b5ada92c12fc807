FROM alpine:3.19
ADD rootfs.tar.gz /
ADD https://example.com/tool-1.0.tar.gz /opt/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/x /x
ADD http://example.com/plain /plain
ADD --chmod=644 config.txt /etc/config.txt
ADD https://github.com/moby/buildkit.git#v0.10.1 /buildkit
COPY <<EOF /etc/motd
Welcome.
EOF
COPY <<-"EOT" /etc/env.sh
	export A=$HOME
	EOT
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD curl -f http://localhost/ || exit 1
HEALTHCHECK CMD ["/bin/check"]
HEALTHCHECK NONE
MAINTAINER someone@example.com
ONBUILD RUN echo triggered
