# accord as a container: a static binary (pure Go, SQLite included) on a
# distroless image that runs as an unprivileged user. Mount a volume for
# the state (--state /state/state.db); the clone of --repo lives beside it.
#
#   docker build -t accord .
#   docker run -v accord-state:/state -e ACCORD_GIT_TOKEN -e ACCORD_API_TOKEN \
#     -p 8080:8080 accord run --repo https://github.com/acme/channels.git \
#     --state /state/state.db --listen 0.0.0.0:8080
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/accord ./cmd/accord

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accord /usr/local/bin/accord
USER nonroot:nonroot
VOLUME ["/state"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/accord"]
CMD ["run", "--state", "/state/state.db", "--listen", "0.0.0.0:8080"]
