# syntax=docker/dockerfile:1
#
# duban serve in a container: the binary, the shipped rule files and nothing
# else, run as an unprivileged user with its data folder on a volume.
#
#   docker build -t duban .
#   docker run -d --name duban -p 8080:8080 -v duban-data:/var/lib/duban duban
#   docker exec duban duban token create --db /var/lib/duban/duban.db --role admin --name 运维管理员
#
# Settings are the DUBAN_* variables of `duban serve --help` (docs/deploy.md).

# The dashboard's chart library, pinned by pkg/web/package-lock.json, as `make web` fetches it.
FROM node:22-trixie-slim AS web
WORKDIR /src/pkg/web
COPY pkg/web/package.json pkg/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# The binary. CGO is on: the embedded SQLite is C.
FROM golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/pkg/web/node_modules/echarts/dist/echarts.min.js pkg/web/static/vendor/echarts.min.js
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/duban ./cmd/duban \
 && /out/duban rules check rules/zhaoqing-2022

FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 duban \
 && useradd --system --uid 10001 --gid duban --home-dir /var/lib/duban --shell /usr/sbin/nologin duban \
 && install -d -o duban -g duban -m 0750 /var/lib/duban
COPY --from=build /out/duban /usr/local/bin/duban
COPY rules/ /usr/share/duban/rules/

ENV TZ=Asia/Shanghai \
    DUBAN_ADDR=:8080 \
    DUBAN_DATA=/var/lib/duban \
    DUBAN_PLAN=/usr/share/duban/rules/zhaoqing-2022 \
    DUBAN_LOG_FORMAT=json
USER duban:duban
WORKDIR /var/lib/duban
VOLUME ["/var/lib/duban"]
EXPOSE 8080
# SIGTERM stops it gracefully; give it the time it asks for: docker stop --time 100.
STOPSIGNAL SIGTERM
ENTRYPOINT ["duban", "serve"]
