#!/usr/bin/env bash
# Run one client over the whole catalogue and fail the CI job on a regression. With
# --client swaks each scenario page's swaks claims (for swaks run as below, the catalogue's
# default way) are what each row is held to; results also go to matrix-swaks.xml (JUnit)
# for the CI system to show.
set -euo pipefail
${BROKEN_MTA:-npx broken-mta} matrix --jobs 4 --client swaks --junit "${JUNIT:-matrix-swaks.xml}" -- \
  swaks --server {host}:{port} --from sender@client.example.test --to rcpt@mx.broken-mta.test \
        --tls-optional-strict --tls-verify --tls-ca-path {ca} --timeout 5
