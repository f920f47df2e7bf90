#!/bin/sh
# Migrate, load the demo (real data if mounted at /data, else the synthetic city), then serve.
set -e
dotnet /app/cli/urbanmonitor.dll migrate --create
dotnet /app/cli/urbanmonitor.dll demo --data "${URBANMONITOR_DATA:-/data}"
cd /app/api
exec dotnet /app/api/UrbanMonitor.Api.dll
