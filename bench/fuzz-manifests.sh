#!/usr/bin/env bash
# bench/fuzz-manifests.sh [MUTATIONS] [SEED] — the manifest loader under N mutations (default
# 100,000) of the example manifests and every test mesh: no exception, no input slower than 5 s,
# every refusal with file, line and reason. The same test runs 3,000 in ./test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$root/tests/Weft.Config.Tests" -nologo -v quiet > /dev/null
WEFT_FUZZ_MUTATIONS="${1:-100000}" WEFT_FUZZ_SEED="${2:-15}" dotnet test "$root/tests/Weft.Config.Tests" --no-build \
  --filter "FullyQualifiedName~ManifestFuzzTests" --logger "console;verbosity=detailed" 2>&1 | grep -E "manifest fuzz|Passed!|Failed|Error Message|mutation [0-9]+" 
