ARG UNSCOPED=x
ARG VERSION=1.0
ARG BASE=alpine:3.19
ARG SUFFIX=-$NOWHERE
FROM ${BASE}
ARG VERSION
RUN echo $VERSION > /version

FROM alpine:3.19 AS tools
ENV TOOLS=/opt/tools
RUN mkdir -p $TOOLS
# global ARGs this stage does not declare: Docker's RUN does not have them
RUN echo "$BASE ${VERSION}" > /globals

FROM tools AS final
ENV PATH=$TOOLS/bin:$PATH
COPY --from=0 /version /version
COPY --from=tools /opt/tools /opt/tools
COPY --link --from=docker.io/library/busybox:latest /bin/busybox /bin/busybox
ARG TARGETARCH
RUN echo "building for ${TARGETARCH:-unknown}"
ARG V
ENV VERSION=${V:-1.0}
# a global ARG the stage does not declare: Docker does not expand it here
ENV SCOPE=$UNSCOPED
