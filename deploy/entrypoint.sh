#!/usr/bin/env bash
# Container entrypoint (Dockerfile ENTRYPOINT). Runs the given command, by default
# `helpdesk serve --host 0.0.0.0 --port 8000`. Before `helpdesk serve`, when HELPDESK_INGEST_ON_START=1, it
# indexes HELPDESK_INGEST_PATHS (space-separated, default /app/corpus: the bundled sample corpus). Re-ingesting
# unchanged files embeds and writes nothing, so this is cheap on every restart.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    set -- helpdesk serve --host 0.0.0.0 --port 8000
fi

if [ "${1:-}" = helpdesk ] && [ "${2:-}" = serve ] && [ "${HELPDESK_INGEST_ON_START:-0}" = 1 ]; then
    read -r -a paths <<< "${HELPDESK_INGEST_PATHS:-/app/corpus}"
    echo "entrypoint: helpdesk ingest ${paths[*]}" >&2
    status=0
    helpdesk ingest "${paths[@]}" || status=$?
    case "$status" in
        0) ;;
        # Exit 1: some files failed (named above); the rest landed, so serve what is indexed.
        1) echo "entrypoint: some files could not be ingested (see above); serving the rest" >&2 ;;
        # Anything else (store unreachable, embedding-model mismatch, bad arguments): do not serve.
        *) echo "entrypoint: helpdesk ingest failed with exit status $status; not starting" >&2
           exit "$status" ;;
    esac
fi

exec "$@"
