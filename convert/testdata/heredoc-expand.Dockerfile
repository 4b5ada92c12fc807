# syntax=docker/dockerfile:1
# COPY and ADD heredocs whose variables Docker expands: gun's Copy Expand.
ARG GLOBAL=global
FROM alpine:3.19 AS base
ENV BASE_DIR=/opt/base

FROM base
ARG GLOBAL
ARG VERSION=1.2
ENV HOME_DIR=/opt/app
COPY <<EOF /etc/app.conf
version=$VERSION
home=${HOME_DIR}
base=$BASE_DIR global=$GLOBAL user=$HOME
price=\$5 and \${VERSION} are literal
a backslash \\ and one before a reference: \\$VERSION
a lone $ and $5, \n is n, "double" and 'single' quotes stay
EOF
COPY <<-EOF /etc/tabbed.conf
	version=$VERSION
	EOF
COPY <<"EOF" <<'EOT' /quoted/
$VERSION \$ \\ stay
EOF
${HOME_DIR} too
EOT
COPY --chown=app:app --chmod=600 <<A <<B /multi/
a=$VERSION
A
b has no variable: \$VERSION and \\ are processed
B
ADD --chmod=640 <<EOF /etc/added.conf
home=$HOME_DIR
EOF
COPY <<EOF /etc/defaults.conf
version=${VERSION:-0.0}
dir=${HOME_DIR:+set} ${VERSION#1.}
EOF

FROM scratch
COPY <<EOF /scratch.conf
path=$PATH undefined=$NOPE shell=$1$@ global=$GLOBAL
EOF
