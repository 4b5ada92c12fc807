# The proxy build arguments in values: BuildKit gives them to RUN alone
# (docker build --build-arg HTTP_PROXY=...), so without an ARG, ENV and the
# other instructions expand them as any undefined variable: the base image's
# (which images hardly ever set) or nothing. gun convert writes them empty.
ARG UPSTREAM=$HTTP_PROXY
FROM debian:bookworm
ENV http_proxy=$HTTP_PROXY https_proxy=${HTTPS_PROXY} NO_PROXY=localhost,$NO_PROXY
LABEL proxy=$http_proxy
RUN echo "$http_proxy $HTTP_PROXY"
# Declared, the build argument is a variable of the values that follow.
ARG FTP_PROXY
ENV ftp_proxy=$FTP_PROXY
FROM scratch
# No base image: Docker expands it to nothing, exactly.
ENV all_proxy=$ALL_PROXY
