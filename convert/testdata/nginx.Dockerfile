FROM node:20-alpine AS assets
WORKDIR /web
COPY package*.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM nginx:1.27-alpine
LABEL maintainer="web team <web@example.com>"
RUN rm /etc/nginx/conf.d/default.conf
COPY <<EOF /etc/nginx/conf.d/site.conf
server {
    listen 80;
    root /usr/share/nginx/html;
    location / {
        try_files \$uri /index.html;
    }
}
EOF
COPY --from=assets /web/dist /usr/share/nginx/html
ENV PATH=/opt/nginx/bin:$PATH
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
