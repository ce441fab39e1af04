#!/usr/bin/env bash
# generate.sh lints the .proto files and regenerates the Go code beside them
# (make proto); with -check it generates into a scratch directory instead and
# fails when any committed *.pb.go file differs, is missing or is left over
# (make proto-check).
#
# Generation takes two passes. buf.gen.yaml runs protoc-gen-go on every file
# into the Go package of its directory (o2c/ledger/v1 -> ledgerv1).
# buf.gen.grpc.yaml runs protoc-gen-go-grpc with one go_package override per
# service file added here, so the stubs of o2c/<area>/<version>/*.proto go to
# o2c/<area>/<version>/<area><version>grpc and the message packages import
# no gRPC. For that a file that declares a service must declare nothing else:
# its request and response messages live in another file of the same proto
# package. Wire names are unaffected; Go package paths are not wire names.
set -euo pipefail

cd "$(dirname "$0")"
GO=${GO:-go}
buf() { GOWORK=off "$GO" tool -modfile=../tools/go.mod buf "$@"; }

check=false
case "${1-}" in
"") ;;
-check) check=true ;;
*)
	echo "usage: $0 [-check]" >&2
	exit 2
	;;
esac

buf lint

mapfile -t protos < <(find o2c -name '*.proto' | LC_ALL=C sort)
template=$(cat buf.gen.grpc.yaml)
bad=()
for f in "${protos[@]}"; do
	grep -q '^service ' "$f" || continue
	if grep -Eq '^(message|enum|extend) ' "$f"; then
		bad+=("$f")
		continue
	fi
	dir=$(dirname "$f")
	pkg=$(basename "$(dirname "$dir")")$(basename "$dir")grpc
	template+=$'\n'"    - file_option: go_package"
	template+=$'\n'"      path: $f"
	template+=$'\n'"      value: github.com/o2c-platform/o2c/proto/$dir/$pkg"
done
if ((${#bad[@]} > 0)); then
	{
		echo "proto/: these files declare a service and also messages or enums:"
		printf '  %s\n' "${bad[@]}"
		echo "move the service to a file of its own (e.g. <name>_service.proto), so its"
		echo "gRPC stubs can go to their own Go package"
	} >&2
	exit 1
fi

generate() {
	buf generate --template buf.gen.yaml -o "$1"
	buf generate --template "$template" -o "$1"
}

if ! $check; then
	# Start from nothing, so that the code of a removed or renamed file goes too.
	find o2c -name '*.pb.go' -delete
	find o2c -mindepth 1 -type d -empty -delete
	generate .
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/fresh" "$tmp/committed"
generate "$tmp/fresh"
find o2c -name '*.pb.go' -print0 | tar --null -cf - -T - | tar -xf - -C "$tmp/committed"
if ! diff -r "$tmp/fresh" "$tmp/committed" >"$tmp/diff"; then
	sed -e "s|$tmp/fresh|generated|g" -e "s|$tmp/committed|committed|g" "$tmp/diff" | grep -E '^(Only in|diff) ' >&2 || true
	echo "proto/: generated code is stale; run 'make proto' and commit the result" >&2
	exit 1
fi
