# chatlab in a container: the image behind compose.yaml's two "computers".
# Same Deno as CI (.ci/run); tests/lab/compose_test.ts checks that they match.
FROM denoland/deno:2.9.6

WORKDIR /app

# The image's own user, not root. Its cache directory ($DENO_DIR) is
# /deno-dir, which it owns.
USER deno

# Only what the programs need; the files stay owned by root, so they are
# read-only to the user that runs them.
COPY deno.json deno.lock server.ts client.ts ./
COPY lib/ lib/

# Compile and cache everything now, so a container starts fast and offline.
RUN deno cache server.ts client.ts

# The chat port (server.ts and client.ts both default to it).
EXPOSE 5555

# By default: a server reachable from other computers (0.0.0.0), with the
# permissions of `deno task server`: the network, and the one variable
# CHATLAB_PASSWORD (docker run -e CHATLAB_PASSWORD=...). Give it a terminal:
#   docker run --rm -it -p 5555:5555 chatlab
CMD ["deno", "run", "--allow-net", "--allow-env=CHATLAB_PASSWORD", "server.ts", "--host", "0.0.0.0"]
