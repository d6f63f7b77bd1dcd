# faqbot in a container: built in one stage, run from a small image as a
# non-root user. The token comes from the environment:
#
#   docker build -t faqbot .
#   docker run -d --name faqbot -e DISCORD_TOKEN \
#     -v "$PWD/faq:/etc/faqbot/faq" -v faqbot-data:/var/lib/faqbot faqbot
#
# Without a token, the same image answers in the terminal:
#   docker run --rm -i faqbot ask "who protects embassies?"

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/faqbot

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/faqbot --shell /usr/sbin/nologin faqbot \
 && install -d -o faqbot -g faqbot /var/lib/faqbot /var/cache/faqbot
COPY --from=build /src/target/release/faqbot /usr/local/bin/faqbot
COPY deploy/faqbot.toml /etc/faqbot/faqbot.toml
COPY faq /etc/faqbot/faq
# The phrasings' vectors are cached in /var/cache/faqbot.
ENV XDG_CACHE_HOME=/var/cache RUST_LOG=info
USER faqbot
WORKDIR /var/lib/faqbot
# The FAQ (edits go live without a restart) and the store.
VOLUME ["/etc/faqbot/faq", "/var/lib/faqbot"]
# Unhealthy when the FAQ on the volume no longer passes `faqbot check`
# (the bot keeps answering from the last good version meanwhile).
HEALTHCHECK --interval=60s --timeout=30s --start-period=30s \
  CMD ["faqbot", "--config", "/etc/faqbot/faqbot.toml", "check"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["faqbot", "--config", "/etc/faqbot/faqbot.toml"]
CMD ["run"]
