#!/usr/bin/env bash
# Run one client over the whole catalogue and fail the CI job on a regression.
# Each scenario file says, under `expect:`, what this kind of client should do there;
# results also go to matrix-swaks.xml (JUnit) for the CI system to show.
set -euo pipefail
${BROKEN_MTA:-npx broken-mta} matrix --junit "${JUNIT:-matrix-swaks.xml}" -- \
  swaks --server {host}:{port} --from sender@example.test --to rcpt@example.test \
        --tls-optional-strict --tls-verify --tls-ca-path {ca} --timeout 5
