package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/config"
	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/runtime"
)

func jobVector(id string, hot int) runtime.VectorizeVector {
	v := make([]float32, 768)
	v[hot] = 1
	return runtime.VectorizeVector{ID: id, Values: v, Metadata: map[string]any{"jobId": id, "userId": "u1", "title": "Go", "company": "Acme"}}
}

func TestVectorizeWiring(t *testing.T) {
	ctx := context.Background()
	emu := emulatortest.New(t)
	idx, ok := emu.Env.Vectorize["VECTORIZE"]
	if !ok {
		t.Fatalf("no VECTORIZE binding; have %v", emu.Env.Names())
	}
	info, err := idx.Describe(ctx)
	if err != nil || info.Dimensions != 768 || info.VectorCount != 0 {
		t.Fatalf("Describe = %+v, %v; want an empty 768-dim index", info, err)
	}
	// JobMatch's pattern: insert (not upsert), then query 2×limit with metadata.
	if _, err := idx.Insert(ctx, []runtime.VectorizeVector{jobVector("job:1", 0), jobVector("job:2", 1)}); err != nil {
		t.Fatal(err)
	}
	res, err := idx.Query(ctx, jobVector("q", 0).Values, runtime.VectorizeQueryOptions{TopK: 40, ReturnMetadata: "all"})
	if err != nil || res.Count != 2 || res.Matches[0].ID != "job:1" || res.Matches[0].Metadata["userId"] != "u1" {
		t.Fatalf("Query = %+v, %v", res, err)
	}

	// The REST API sees the same index, behind the account guard.
	resp, err := emu.Client.Get(emu.AccountURL() + "/vectorize/v2/indexes/jobmatch-ai-dev/info")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var env struct {
		Success bool
		Result  runtime.VectorizeIndexInfo
	}
	if err := json.Unmarshal(body, &env); err != nil || resp.StatusCode != http.StatusOK || !env.Success || env.Result.VectorCount != 2 {
		t.Fatalf("REST info = %d %s", resp.StatusCode, body)
	}

	// Restart on the same state dir keeps everything.
	emu.Close(t)
	if _, err := os.Stat(filepath.Join(emu.Dir, "vectorize", "jobmatch-ai-dev.sqlite")); err != nil {
		t.Fatalf("index file: %v", err)
	}
	emu2 := emulatortest.New(t, emulatortest.WithDir(emu.Dir))
	got, err := emu2.Env.Vectorize["VECTORIZE"].GetByIDs(ctx, []string{"job:2"})
	if err != nil || len(got) != 1 || got[0].Values[1] != 1 || got[0].Metadata["jobId"] != "job:2" {
		t.Fatalf("after restart GetByIDs = %+v, %v", got, err)
	}
}

func TestVectorizeInMemory(t *testing.T) {
	emu := emulatortest.New(t, emulatortest.WithInMemory())
	if _, err := emu.Env.Vectorize["VECTORIZE"].Upsert(context.Background(), []runtime.VectorizeVector{jobVector("a", 3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(emu.Dir, "vectorize")); !os.IsNotExist(err) {
		t.Fatalf("in-memory emulator wrote %s/vectorize (err %v)", emu.Dir, err)
	}
}

func TestVectorizeConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, toml, want string
	}{
		{"no dimensions and no index", `name = "w"
[[vectorize]]
binding = "VEC"
index_name = "absent"
`, `Vectorize binding VEC: index "absent" does not exist and the config gives no dimensions`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.ParseBuiltin("wrangler.toml", []byte(tc.toml), "", nil)
			if err != nil {
				t.Fatal(err)
			}
			em, err := emulator.New(context.Background(), emulator.Options{Config: cfg, StateDir: t.TempDir(), Clock: runtime.NewFakeClock(emulatortest.Start)})
			if err == nil {
				em.Close()
				t.Fatal("New succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}
