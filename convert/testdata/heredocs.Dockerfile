# syntax=docker/dockerfile:1
FROM alpine:3.19
RUN <<EOF
apk add --no-cache bash
# a comment in the script stays
echo done
EOF
RUN <<-EOT bash
	set -euo pipefail
	echo "tabs are stripped"
	EOT
RUN <<-EOF
	cat > /etc/issue <<X
	the script's leading tabs are stripped, so X ends the inner heredoc
	X
	EOF
COPY <<EOF /etc/motd
Welcome.
EOF
COPY <<"EOF" /usr/local/bin/hello
#!/bin/sh
echo "hello $USER"
EOF
COPY <<one.txt <<two.txt /data/
first
one.txt
second
two.txt
RUN python3 <<EOF
print("from python")
EOF
ARG NAME=demo
COPY <<EOF /etc/app.env
name=$NAME
price=\$5
EOF
