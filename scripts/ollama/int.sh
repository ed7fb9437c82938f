#!/usr/bin/env bash
# Integration tests of the Workers AI `ollama` backend against a REAL Ollama
# server, offline (see ../shared/docs/real-ollama.md).
#
#   bash scripts/ollama/int.sh          build (or reuse) Ollama, serve it, generate
#                                       and create the tiny models, test, stop
#   bash scripts/ollama/int.sh build    only build (or reuse) the Ollama binary
#   bash scripts/ollama/int.sh serve    build, serve with the models created, and
#                                       wait (Ctrl-C stops) — for manual runs
#
# Environment:
#   EDGE_CACHE            cache dir (default ${XDG_CACHE_HOME:-~/.cache}/jobmatch-edge)
#   EDGE_OLLAMA_REBUILD=1 rebuild the Ollama binary even when the cached one works
#   EDGE_INT_RUN          -run pattern for go test (default: ^TestRealOllama, every
#                         integration test; the unit tests run in make test)
#
# Ollama is built with its own `go install` (cgo on, only in this step), never
# through the project's go.mod. Anything missing is an error: this script
# never skips.
set -euo pipefail

readonly OLLAMA_VERSION=0.17.4
readonly MODEL_NAME=tiny-bert     # 64 dims
readonly MODEL_768=tiny-bert-768 # 768 dims
readonly REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly CACHE=${EDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jobmatch-edge}
readonly OLLAMA_DIR=$CACHE/ollama-v$OLLAMA_VERSION
readonly OLLAMA_BIN=$OLLAMA_DIR/bin/ollama

log() { printf '[int] %s\n' "$*" >&2; }
die() { printf '[int] FAIL: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

# --- step 1: Debian packages for the headers the module zip omits ----------
ensure_debs() {
	local missing=()
	for p in nlohmann-json3-dev libstb-dev; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	local sudo=()
	if [[ $(id -u) != 0 ]]; then
		command -v sudo >/dev/null || die "need root (or sudo) to install ${missing[*]}"
		sudo=(sudo)
	fi
	log "installing ${missing[*]}"
	"${sudo[@]}" apt-get update -q || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		die "apt-get install ${missing[*]} failed"
	[[ -f /usr/include/nlohmann/json_fwd.hpp ]] || die "nlohmann-json3-dev installed but /usr/include/nlohmann/json_fwd.hpp is missing"
	[[ -f /usr/include/stb/stb_image.h ]] || die "libstb-dev installed but /usr/include/stb/stb_image.h is missing"
}

# --- step 2: miniaudio stand-in (Debian has no miniaudio) ------------------
write_miniaudio() {
	mkdir -p "$CACHE/include/miniaudio"
	cmp -s "$REPO/scripts/ollama/miniaudio.h" "$CACHE/include/miniaudio/miniaudio.h" ||
		cp "$REPO/scripts/ollama/miniaudio.h" "$CACHE/include/miniaudio/miniaudio.h"
}

# --- step 3: build Ollama once, cache the binary ---------------------------
cached_ollama_ok() {
	[[ -x $OLLAMA_BIN ]] || return 1
	# Pointed at a closed port (not at a developer's own Ollama), `ollama
	# --version` prints "Warning: client version is X".
	OLLAMA_HOST=127.0.0.1:1 "$OLLAMA_BIN" --version 2>&1 | grep -q "client version is $OLLAMA_VERSION"
}

build_ollama() {
	if [[ ${EDGE_OLLAMA_REBUILD:-} != 1 ]] && cached_ollama_ok; then
		log "reusing $OLLAMA_BIN ($(du -h "$OLLAMA_BIN" | cut -f1))"
		return 0
	fi
	command -v go >/dev/null || die "go not found"
	command -v g++ >/dev/null || die "g++ not found (cgo build of llama.cpp)"
	ensure_debs
	write_miniaudio
	mkdir -p "$OLLAMA_DIR/bin"
	log "building ollama v$OLLAMA_VERSION into $OLLAMA_DIR/bin (cold: ~3 min on 2 cores)"
	local t0
	t0=$(now_ms)
	# Outside the repo, so the project's go.mod is never touched or consulted.
	(
		cd "$CACHE"
		GOWORK=off GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOBIN="$OLLAMA_DIR/bin" \
			CGO_ENABLED=1 CGO_CPPFLAGS="-I$CACHE/include" \
			nice -n 10 go install \
			-ldflags "-s -w -X=github.com/ollama/ollama/version.Version=$OLLAMA_VERSION" \
			"github.com/ollama/ollama@v$OLLAMA_VERSION"
	) || die "go install github.com/ollama/ollama@v$OLLAMA_VERSION failed"
	cached_ollama_ok || die "built $OLLAMA_BIN does not report version $OLLAMA_VERSION"
	log "built ollama in $(($(now_ms) - t0)) ms ($(du -h "$OLLAMA_BIN" | cut -f1))"
}

# --- step 4: serve on a free loopback port with a temp OLLAMA_MODELS -------
WORK= OLLAMA_PID= OLLAMA_URL= STOPPED=

cleanup() {
	local rc=$?
	if [[ -n $OLLAMA_PID ]]; then
		kill "$OLLAMA_PID" 2>/dev/null || true
		wait "$OLLAMA_PID" 2>/dev/null || true
	fi
	if ((rc != 0)) && [[ -z $STOPPED && -n $WORK && -f $WORK/ollama.log ]]; then
		log "last lines of the ollama server log ($WORK/ollama.log):"
		tail -n 40 "$WORK/ollama.log" >&2 || true
		log "kept $WORK for inspection"
	elif [[ -n $WORK ]]; then
		rm -rf "$WORK"
	fi
	exit "$rc"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_ollama() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/edge-ollama-int.XXXXXX")
	trap cleanup EXIT
	trap 'STOPPED=1; exit 130' INT TERM
	mkdir -p "$WORK/models" "$WORK/home"
	local attempt port t0
	for attempt in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		port_in_use "$port" && continue
		t0=$(now_ms)
		# HOME is private too: `ollama serve` writes its key pair under ~/.ollama.
		env HOME="$WORK/home" OLLAMA_HOST="127.0.0.1:$port" OLLAMA_MODELS="$WORK/models" \
			OLLAMA_NO_CLOUD=1 OLLAMA_NOPRUNE=1 OLLAMA_KEEP_ALIVE=5m \
			"$OLLAMA_BIN" serve >"$WORK/ollama.log" 2>&1 &
		OLLAMA_PID=$!
		local i
		for i in $(seq 1 200); do
			if curl -fsS --max-time 1 "http://127.0.0.1:$port/api/version" >/dev/null 2>&1; then
				OLLAMA_URL=http://127.0.0.1:$port
				log "ollama serve (pid $OLLAMA_PID) answers at $OLLAMA_URL after $(($(now_ms) - t0)) ms: $(curl -fsS "$OLLAMA_URL/api/version")"
				return 0
			fi
			kill -0 "$OLLAMA_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill "$OLLAMA_PID" 2>/dev/null || true
		wait "$OLLAMA_PID" 2>/dev/null || true
		OLLAMA_PID=
		grep -q 'address already in use' "$WORK/ollama.log" || die "ollama serve did not answer on 127.0.0.1:$port within 10 s"
		log "port $port taken, retrying (attempt $attempt)"
	done
	die "could not find a free loopback port for ollama serve"
}

# --- step 5: generate the tiny models and create them through the API client
# tiny-bert: 64 dims, 2 layers (the test-only catalog entry; 100 texts in ~0.2 s).
# tiny-bert-768: 768 dims, 1 layer, served for @cf/baai/bge-base-en-v1.5 in the
# gateway test (100 texts take ~2.4 s on 2 cores, so batches use tiny-bert).
create_model() {
	local t0
	t0=$(now_ms)
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$WORK/tinybert" ./cmd/tinybert) || die "building cmd/tinybert failed"
	"$WORK/tinybert" -out "$WORK/$MODEL_NAME.gguf" -ollama-url "$OLLAMA_URL" -name "$MODEL_NAME" ||
		die "creating model $MODEL_NAME failed"
	"$WORK/tinybert" -out "$WORK/$MODEL_768.gguf" -dim 768 -layers 1 -heads 12 -ffn 768 \
		-ollama-url "$OLLAMA_URL" -name "$MODEL_768" || die "creating model $MODEL_768 failed"
	local m
	for m in "$MODEL_NAME" "$MODEL_768"; do
		log "model $m: $(stat -c %s "$WORK/$m.gguf") bytes, sha256 $(sha256sum "$WORK/$m.gguf" | cut -c1-16)…"
	done
	log "built the generator, generated and created both models in $(($(now_ms) - t0)) ms"
	curl -fsS "$OLLAMA_URL/api/show" -d "{\"model\":\"$MODEL_NAME\"}" | grep -q '"capabilities":\["embedding"\]' ||
		die "model $MODEL_NAME does not report the embedding capability"
}

# --- step 6: the integration tests -----------------------------------------
run_tests() {
	local t0 rc=0
	t0=$(now_ms)
	log "go test -tags ollama_int ./emulator/ai/ against $OLLAMA_URL (models $MODEL_NAME, $MODEL_768)"
	(
		cd "$REPO"
		OLLAMA_URL=$OLLAMA_URL OLLAMA_TEST_MODEL=$MODEL_NAME OLLAMA_TEST_MODEL_768=$MODEL_768 \
			go test -race -count=1 -tags ollama_int -run "${EDGE_INT_RUN:-^TestRealOllama}" -v ./emulator/ai/
	) 2>&1 | tee "$WORK/test.log" || rc=$?
	((rc == 0)) || die "integration tests failed"
	# A skipped or absent test is a failure here, never a pass.
	if grep -qE -- '--- SKIP|no tests to run|testing: warning: no tests' "$WORK/test.log"; then
		die "integration tests skipped or did not run: $(grep -E -- '--- SKIP|no tests' "$WORK/test.log" | head -3)"
	fi
	log "integration tests passed in $(($(now_ms) - t0)) ms ($(grep -c -- '^--- PASS' "$WORK/test.log") tests)"
}

main() {
	case ${1:-all} in
	build)
		build_ollama
		;;
	serve)
		build_ollama
		start_ollama
		create_model
		log "serving: OLLAMA_URL=$OLLAMA_URL OLLAMA_TEST_MODEL=$MODEL_NAME OLLAMA_TEST_MODEL_768=$MODEL_768 (Ctrl-C stops)"
		wait "$OLLAMA_PID"
		;;
	all)
		build_ollama
		start_ollama
		create_model
		run_tests
		;;
	*)
		die "usage: $0 [all|build|serve]"
		;;
	esac
}

main "$@"
