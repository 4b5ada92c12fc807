# escape=`
ARG BASE=mcr.microsoft.com/windows/servercore
FROM ${BASE}:ltsc2022 AS build
# cmd's syntax, which Docker runs with cmd /S /C.
RUN for /D %p IN ("C:\inetpub\*") DO rmdir "%p" /s /q `
    && echo done
FROM mcr.microsoft.com/dotnet/framework/runtime:4.8-windowsservercore-ltsc2022
SHELL ["powershell", "-Command"]
RUN $ErrorActionPreference = 'Stop'; `
    Write-Host $env:PATH.Substring(0, 3)
CMD ["cmd"]
