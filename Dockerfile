# The API (and, with WORKERS=on, the queue workers) in one image.
# TypeScript runs through ts-exec: no build step, the same code as `pnpm start`.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
RUN npm install -g pnpm@12.21.0
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm install --frozen-lockfile
COPY . .
EXPOSE 3333
# Migrations are idempotent; run them before every start.
# exec: with-db.js becomes PID 1 and gets docker stop's SIGTERM (sh would not pass it on).
CMD ["sh", "-c", "node ace migration:run --force && exec node scripts/with-db.js start"]
