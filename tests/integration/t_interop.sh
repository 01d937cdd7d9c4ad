# t_interop.sh: Go's golang.org/x/mod sumdb/note and sumdb/tlog accept
# our signed checkpoints, verifier keys, tiles, inclusion and consistency
# proofs and leaves, and reject tampered ones (tests/interop/run.sh);
# skipped (77) where Go is not installed.
. "$(dirname "$0")/lib.sh"

cd "$(dirname "$0")/../.."
BUILD="$BUILD" bash tests/interop/run.sh
