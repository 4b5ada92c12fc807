# escape=`
FROM mcr.microsoft.com/windows/nanoserver:ltsc2022
ENV GREETING="hello `"world`""
RUN echo one `
    && echo two
COPY a.txt `
     b.txt /dst/
COPY <<EOF /dst/greeting
$GREETING `n \$HOME: a heredoc's escape is \\ whatever the directive says
EOF
