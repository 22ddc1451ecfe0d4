# syntax=docker/dockerfile:1
#
# controlmap in a small image with no shell: the binary (frontend and dataset
# embedded) and a copy of data/ at /data for `controlmap import /data`.
#
#   docker build -t controlmap .
#   docker run --rm -p 8080:8080 controlmap            # embedded dataset
#   docker-compose up --build                          # with PostGIS, see README.md

# 1. A static Go binary embedding the frontend (Leaflet is committed in
#    static/lib, so no npm is needed) and the dataset.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/controlmap ./cmd/controlmap

# 2. The runtime: distroless (no shell, no package manager), non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/controlmap /usr/local/bin/controlmap
COPY data/catalog.json data/*.geojson /data/
USER nonroot:nonroot
ENV CONTROLMAP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/controlmap"]
CMD ["serve"]
