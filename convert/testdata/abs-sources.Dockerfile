FROM alpine
# BuildKit reads a leading / of a context source as the context's root.
COPY /hack/install.sh /hack/tool.installer /usr/local/bin/
ADD /config.tar.gz /etc/app/
COPY / /src
FROM alpine
# From a stage, absolute sources stay absolute.
COPY --from=0 /hack/install.sh /install.sh
