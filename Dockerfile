# The service and its CLI. Used by docker-compose.yml; see README.md.
# The map viewer (viewer/: OpenLayers bundled by esbuild from package-lock.json).
FROM node:20-slim AS viewer
WORKDIR /viewer
COPY viewer/package.json viewer/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY viewer/ ./
RUN npm run build

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig UrbanMonitor.sln ./
COPY src/ src/
COPY tiles/styles/ tiles/styles/
RUN dotnet publish src/UrbanMonitor.Api/UrbanMonitor.Api.csproj -c Release -o /app/api \
 && dotnet publish src/UrbanMonitor.Cli/UrbanMonitor.Cli.csproj -c Release -o /app/cli

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# Fonts for raster tile labels (Latin and Arabic script) and the library SkiaSharp loads them through.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-core libfontconfig1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
COPY --from=viewer /viewer/dist /app/viewer
COPY docker/entrypoint.sh /app/entrypoint.sh
ENV URBANMONITOR_DATA=/data \
    URBANMONITOR_Viewer__Folder=/app/viewer \
    ASPNETCORE_URLS=http://0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/bin/sh", "/app/entrypoint.sh"]
