FROM alpine AS base
ENTRYPOINT ["/bin/echo", "entry"]
CMD ["default"]
FROM base
# An empty list clears the base's.
CMD []
FROM base
ENTRYPOINT []
