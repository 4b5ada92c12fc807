# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
ENV GREETING="hello `"world`""
RUN echo one `
    && echo two
COPY a.txt `
     b.txt /dst/
