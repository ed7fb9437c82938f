package d1_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/d1"
	"jobmatch-edge/emulator/emulatortest"
)

// The development database of fixtures/wrangler.toml.
const (
	devDBID   = "8140efd5-9912-4e31-981d-0566f1efe9dc"
	devDBName = "jobmatch-dev"
)

type envelope struct {
	Success    bool            `json:"success"`
	Errors     []apiError      `json:"errors"`
	Messages   []apiError      `json:"messages"`
	Result     json.RawMessage `json:"result"`
	ResultInfo json.RawMessage `json:"result_info"`
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func call(t *testing.T, emu *emulatortest.Emu, method, path, body string) (int, http.Header, envelope) {
	t.Helper()
	req, err := http.NewRequest(method, emu.AccountURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := emu.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("%s %s: body %s: %v", method, path, data, err)
	}
	return resp.StatusCode, resp.Header, env
}

type queryResult struct {
	Results json.RawMessage `json:"results"`
	Success bool            `json:"success"`
	Meta    map[string]any  `json:"meta"`
}

func TestRESTQuery(t *testing.T) {
	emu := emulatortest.New(t)
	q := "/d1/database/" + devDBID
	mustOK := func(t *testing.T, path, body string) []queryResult {
		t.Helper()
		status, _, env := call(t, emu, "POST", path, body)
		if status != 200 || !env.Success {
			t.Fatalf("POST %s %s: %d %+v", path, body, status, env)
		}
		var out []queryResult
		if err := json.Unmarshal(env.Result, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	mustOK(t, q+"/query", `{"sql":"CREATE TABLE rest_t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, x REAL)"}`)

	for _, tc := range []struct {
		name, path, body string
		want             []string // each result's "results", as JSON
	}{
		{"insert with params", "/query", `{"sql":"INSERT INTO rest_t (id, name, data, x) VALUES (?, ?, X'0102', ?)","params":[1,"one",1.5]}`, []string{`[]`}},
		{"query objects in column order", "/query", `{"sql":"SELECT name, id, data, x FROM rest_t"}`, []string{`[{"name":"one","id":1,"data":[1,2],"x":1.5}]`}},
		{"duplicate columns collapse in place", "/query", `{"sql":"SELECT 1 AS a, 2 AS b, 3 AS a"}`, []string{`[{"a":3,"b":2}]`}},
		{"raw keeps duplicates", "/raw", `{"sql":"SELECT 1 AS a, 2 AS b, 3 AS a"}`, []string{`{"columns":["a","b","a"],"rows":[[1,2,3]]}`}},
		{"raw with no rows", "/raw", `{"sql":"SELECT id FROM rest_t WHERE id = 99"}`, []string{`{"columns":["id"],"rows":[]}`}},
		{"one result per statement", "/query", `{"sql":"SELECT 1 AS one; SELECT 2 AS two"}`, []string{`[{"one":1}]`, `[{"two":2}]`}},
		{"batch", "/query", `{"batch":[{"sql":"INSERT INTO rest_t (id, name) VALUES (?, ?)","params":[2,"two"]},{"sql":"SELECT count(*) AS n FROM rest_t"}]}`, []string{`[]`, `[{"n":2}]`}},
		{"string params stay text", "/query", `{"sql":"SELECT typeof(?) AS t, ? AS v","params":["3","3"]}`, []string{`[{"t":"text","v":"3"}]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := mustOK(t, q+tc.path, tc.body)
			var got []string
			for _, r := range res {
				got = append(got, string(r.Results))
				if !r.Success || r.Meta["served_by"] != "edge.d1" {
					t.Errorf("result %+v", r)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}

	for _, tc := range []struct {
		name, path, body string
		status           int
		want             apiError
		header           string
	}{
		{"no such table", q + "/query", `{"sql":"SELECT * FROM events"}`, 400, apiError{7500, "no such table: events: SQLITE_ERROR"}, "err=7500"},
		{"syntax", q + "/raw", `{"sql":"SELEC 1"}`, 400, apiError{7500, `near "SELEC": syntax error at offset 0: SQLITE_ERROR`}, "err=7500"},
		{"101 params", q + "/query", `{"sql":"SELECT ` + strings.TrimSuffix(strings.Repeat("?,", 101), ",") + `","params":[` + strings.TrimSuffix(strings.Repeat("1,", 101), ",") + `]}`, 400, apiError{7500, "too many SQL variables at offset 207: SQLITE_ERROR"}, "err=7500"},
		{"forbidden", q + "/query", `{"sql":"PRAGMA journal_mode"}`, 400, apiError{7500, "not authorized: SQLITE_AUTH"}, "err=7500"},
		{"wrong params", q + "/query", `{"sql":"SELECT ?","params":[]}`, 400, apiError{7500, "Wrong number of parameter bindings for SQL query."}, "err=7500"},
		{"batch is atomic", q + "/query", `{"batch":[{"sql":"INSERT INTO rest_t (id) VALUES (50)"},{"sql":"INSERT INTO rest_t (id) VALUES (1)"}]}`, 400, apiError{7500, "UNIQUE constraint failed: rest_t.id: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_PRIMARYKEY)"}, "err=7500"},
		{"unknown database", "/d1/database/00000000-0000-0000-0000-000000000000/query", `{"sql":"SELECT 1"}`, 404, apiError{7404, "Not Found"}, ""},
		{"missing sql", q + "/query", `{}`, 400, apiError{10001, "sql: Required"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, env := call(t, emu, "POST", tc.path, tc.body)
			if status != tc.status || env.Success {
				t.Errorf("status = %d success %v, want %d", status, env.Success, tc.status)
			}
			if diff := cmp.Diff([]apiError{tc.want}, env.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if got := h.Get("cf-d1"); got != tc.header {
				t.Errorf("cf-d1 = %q, want %q", got, tc.header)
			}
		})
	}
	t.Run("nothing of the failed batch was written", func(t *testing.T) {
		res := mustOK(t, q+"/query", `{"sql":"SELECT count(*) AS n FROM rest_t WHERE id = 50"}`)
		if string(res[0].Results) != `[{"n":0}]` {
			t.Errorf("results = %s", res[0].Results)
		}
	})
	t.Run("binding sees REST writes", func(t *testing.T) {
		v, err := emu.Env.D1["DB"].Prepare("SELECT name FROM rest_t WHERE id = 2").FirstColumn(context.Background(), "name")
		if err != nil || v != "two" {
			t.Errorf("name = %v, %v", v, err)
		}
	})
}

type dbObject struct {
	UUID      string `json:"uuid"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	CreatedAt string `json:"created_at"`
	FileSize  int64  `json:"file_size"`
	NumTables int    `json:"num_tables"`
}

func TestRESTDatabases(t *testing.T) {
	emu := emulatortest.New(t)
	var created dbObject
	t.Run("config database exists", func(t *testing.T) {
		status, _, env := call(t, emu, "GET", "/d1/database/"+devDBID, "")
		var got dbObject
		_ = json.Unmarshal(env.Result, &got)
		if status != 200 || got.UUID != devDBID || got.Name != devDBName || got.Version != "production" ||
			got.CreatedAt != "2030-01-01T00:00:00.000Z" || got.FileSize == 0 || got.NumTables < 25 {
			t.Errorf("GET = %d %+v", status, got)
		}
	})
	t.Run("create", func(t *testing.T) {
		emu.Clock.Advance(1000)
		status, _, env := call(t, emu, "POST", "/d1/database", `{"name":"scratch"}`)
		_ = json.Unmarshal(env.Result, &created)
		if status != 200 || created.Name != "scratch" || len(created.UUID) != 36 || created.NumTables != 0 {
			t.Fatalf("create = %d %+v", status, env)
		}
	})
	t.Run("create duplicate", func(t *testing.T) {
		status, _, env := call(t, emu, "POST", "/d1/database", `{"name":"scratch"}`)
		if status != 400 || cmp.Diff([]apiError{{7502, "A database with that name already exists"}}, env.Errors) != "" {
			t.Errorf("duplicate = %d %+v", status, env.Errors)
		}
	})
	t.Run("query the new database", func(t *testing.T) {
		status, _, env := call(t, emu, "POST", "/d1/database/"+created.UUID+"/query", `{"sql":"CREATE TABLE a (x); INSERT INTO a VALUES (1)"}`)
		if status != 200 {
			t.Errorf("query = %d %+v", status, env)
		}
	})
	for _, tc := range []struct {
		name, query string
		want        []string
		info        string
	}{
		{"list all", "", []string{devDBName, "scratch"}, `{"page":1,"per_page":1000,"count":2,"total_count":2}`},
		{"name filter", "?name=scratch", []string{"scratch"}, `{"page":1,"per_page":1000,"count":1,"total_count":1}`},
		{"paging", "?per_page=10&page=2", []string{}, `{"page":2,"per_page":10,"count":0,"total_count":2}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, env := call(t, emu, "GET", "/d1/database"+tc.query, "")
			var got []dbObject
			_ = json.Unmarshal(env.Result, &got)
			names := []string{}
			for _, d := range got {
				names = append(names, d.Name)
			}
			if status != 200 || cmp.Diff(tc.want, names) != "" || string(env.ResultInfo) != tc.info {
				t.Errorf("list = %d %v %s", status, names, env.ResultInfo)
			}
		})
	}
	t.Run("delete", func(t *testing.T) {
		status, _, env := call(t, emu, "DELETE", "/d1/database/"+created.UUID, "")
		if status != 200 || !env.Success || string(env.Result) != "null" {
			t.Errorf("delete = %d %+v", status, env)
		}
		if _, err := os.Stat(filepath.Join(emu.Dir, "d1", created.UUID+".sqlite")); !os.IsNotExist(err) {
			t.Errorf("file still there: %v", err)
		}
		status, _, env = call(t, emu, "GET", "/d1/database/"+created.UUID, "")
		if status != 404 || cmp.Diff([]apiError{{7404, "Not Found"}}, env.Errors) != "" {
			t.Errorf("get after delete = %d %+v", status, env.Errors)
		}
	})
	t.Run("bound database cannot be deleted", func(t *testing.T) {
		status, _, env := call(t, emu, "DELETE", "/d1/database/"+devDBID, "")
		want := []apiError{{7500, "database " + devDBID + " is bound as DB in wrangler.toml and cannot be deleted while edge runs"}}
		if status != 400 || cmp.Diff(want, env.Errors) != "" {
			t.Errorf("delete bound = %d %+v", status, env.Errors)
		}
	})
}

func TestCreatedDatabasesPersist(t *testing.T) {
	emu := emulatortest.New(t)
	_, _, env := call(t, emu, "POST", "/d1/database", `{"name":"keep"}`)
	var created dbObject
	_ = json.Unmarshal(env.Result, &created)
	call(t, emu, "POST", "/d1/database/"+created.UUID+"/query", `{"sql":"CREATE TABLE k (v); INSERT INTO k VALUES ('kept')"}`)
	emu.Close(t)

	again := emulatortest.New(t, emulatortest.WithDir(emu.Dir))
	status, _, env := call(t, again, "POST", "/d1/database/"+created.UUID+"/query", `{"sql":"SELECT v FROM k"}`)
	var res []queryResult
	_ = json.Unmarshal(env.Result, &res)
	if status != 200 || len(res) != 1 || string(res[0].Results) != `[{"v":"kept"}]` {
		t.Errorf("after reopen: %d %s", status, env.Result)
	}
}

func TestStartupMigrations(t *testing.T) {
	dir := t.TempDir()
	migDir := filepath.Join(dir, "mig")
	if err := os.MkdirAll(migDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, sql string) {
		if err := os.WriteFile(filepath.Join(migDir, name), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("0001_a.sql", "CREATE TABLE a (x);")
	cfg := `
[[d1_databases]]
binding = "OTHER"
database_name = "other"
database_id = "11111111-2222-4333-8444-555555555555"
migrations_dir = "` + migDir + `"
migrations_table = "schema_log"
`
	state := t.TempDir()
	emu := emulatortest.New(t, emulatortest.WithConfig(cfg), emulatortest.WithEnv(""), emulatortest.WithDir(state))
	ctx := context.Background()
	if v, err := emu.Env.D1["OTHER"].Prepare("SELECT group_concat(name) AS n FROM schema_log").FirstColumn(ctx, "n"); err != nil || v != "0001_a.sql" {
		t.Fatalf("schema_log = %v, %v", v, err)
	}
	emu.Close(t)

	write("0002_b.sql", "CREATE TABLE b (x);")
	t.Run("no-migrate leaves pending ones", func(t *testing.T) {
		emu := emulatortest.New(t, emulatortest.WithConfig(cfg), emulatortest.WithEnv(""), emulatortest.WithDir(state),
			emulatortest.WithOptions(func(o *emulator.Options) { o.NoMigrate = true }))
		_, states, err := emu.D1.MigrationsList(ctx, "OTHER")
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, s := range states {
			got = append(got, s.Name+"="+map[bool]string{true: "applied", false: "pending"}[s.Applied])
		}
		if diff := cmp.Diff([]string{"0001_a.sql=applied", "0002_b.sql=pending"}, got); diff != "" {
			t.Errorf("states (-want +got):\n%s", diff)
		}
		emu.Close(t)
	})
	t.Run("admin applies and executes on the state dir", func(t *testing.T) {
		opts := emulator.Options{Config: emu.Options().Config, StateDir: state}
		admin, err := emulator.OpenD1Admin(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		_, names, err := admin.MigrationsApply(ctx, "other")
		if err != nil || cmp.Diff([]string{"0002_b.sql"}, names) != "" {
			t.Fatalf("apply = %v, %v", names, err)
		}
		res, err := admin.Execute(ctx, "11111111-2222-4333-8444-555555555555", "SELECT name FROM schema_log ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		var table strings.Builder
		if err := d1WriteResults(&table, res); err != nil {
			t.Fatal(err)
		}
		const want = "+------------+\n| name       |\n+------------+\n| 0001_a.sql |\n| 0002_b.sql |\n+------------+\n"
		if table.String() != want {
			t.Errorf("table:\n%s\nwant:\n%s", table.String(), want)
		}
		if _, err := emulator.OpenD1Admin(opts); err == nil {
			t.Error("second admin on the same state dir: want the lock error")
		}
	})
}

func d1WriteResults(w io.Writer, res []d1.Result) error { return d1.WriteResults(w, res, false) }

// TestRealClientD1 runs scripts/clients/d1.mjs (the npm cloudflare SDK)
// against a live emulator. Opt-in: EDGE_NODE_CLIENTS=1 and node_modules
// installed in scripts/clients.
func TestRealClientD1(t *testing.T) {
	if os.Getenv("EDGE_NODE_CLIENTS") == "" {
		t.Skip("set EDGE_NODE_CLIENTS=1 to run the npm cloudflare SDK against the emulator")
	}
	emu := emulatortest.New(t)
	cmd := exec.Command("node", "../../scripts/clients/d1.mjs", emu.URL)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("d1.mjs: %v", err)
	}
}
