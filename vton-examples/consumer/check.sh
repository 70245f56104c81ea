#!/usr/bin/env bash
# Proves that another Maven project can depend on io.omoib.vton:vton-core:
#   1. installs this repository's modules into the local Maven repository (./mvnw -B -q install -DskipTests);
#      set VTON_SKIP_INSTALL=1 to reuse what an earlier install put there;
#   2. builds the separate project beside this script (NOT a module of the root pom) with the root's
#      ./mvnw, and runs its test: one try-on through CatVTONPipeline on models/toy-catvton.
# Exits non-zero if either step fails. Extra arguments go to both Maven runs (e.g. -Dmaven.repo.local=...).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# The consumer names the version it wants; it must be the one this checkout installs.
root_version="$(sed -n '/<artifactId>vton-parent<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p;q}' pom.xml)"
consumer_version="$(sed -n 's/.*<vton.version>\(.*\)<\/vton.version>.*/\1/p' "$here/pom.xml")"
if [[ -z "$root_version" || "$root_version" != "$consumer_version" ]]; then
    echo "check.sh: the root pom's version is '$root_version' but $here/pom.xml asks for vton.version" \
         "'$consumer_version': update <vton.version> there" >&2
    exit 1
fi

if [[ "${VTON_SKIP_INSTALL:-0}" != "1" ]]; then
    echo "check.sh: installing io.omoib.vton:*:$root_version into the local Maven repository"
    ./mvnw -B -q install -DskipTests "$@"
fi

echo "check.sh: building and running the consumer project against io.omoib.vton:vton-core:$root_version"
./mvnw -B -q -f "$here/pom.xml" -Dvton.model="$root/models/toy-catvton" clean verify "$@"
echo "check.sh: OK, a separate project built and ran a try-on against the installed vton-core $root_version"
