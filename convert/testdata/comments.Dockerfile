# syntax=docker/dockerfile:1
#   A header, indented after its #.

#   Its second paragraph.
FROM alpine
RUN true

# BuildKit drops the comments above a bare # line from its AST:
# convert reads them from the file.
#
# The last paragraph.
VOLUME /data
RUN apk add --no-cache \
    # the packages
    curl \
    git
ENV \
    # the mode
    MODE=prod \
    # the port
    PORT=80
RUN <<EOF
# a heredoc's line, not a comment
echo hi
EOF
# The end.
