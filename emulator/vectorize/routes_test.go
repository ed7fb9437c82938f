package vectorize_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/vectorize"
	"jobmatch-edge/runtime"
)

const base = "/client/v4/accounts/280c58ea17d9fe3235c33bd0a52a256b/vectorize/v2/indexes"

// scenario is one REST call and what it must answer. wantBody is compared
// as JSON after fields named in ignore are dropped from the result.
type scenario struct {
	name        string
	method, url string
	contentType string
	body        string
	wantStatus  int
	wantBody    string
}

func runScenarios(t *testing.T, srv *httptest.Server, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			req, _ := http.NewRequest(sc.method, srv.URL+sc.url, strings.NewReader(sc.body))
			ct := sc.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != sc.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", res.StatusCode, sc.wantStatus, raw)
			}
			var got, want any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("body %q: %v", raw, err)
			}
			if err := json.Unmarshal([]byte(sc.wantBody), &want); err != nil {
				t.Fatalf("wantBody: %v", err)
			}
			scrub(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("body (-want +got):\n%s\nraw: %s", diff, raw)
			}
		})
	}
}

// scrub replaces values that change per run (mutation ids) by "*".
func scrub(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if k == "mutationId" || k == "processedUpToMutation" {
				if s, ok := c.(string); ok && len(s) == 36 {
					x[k] = "*"
				}
				continue
			}
			scrub(c)
		}
	case []any:
		for _, c := range x {
			scrub(c)
		}
	}
}

func ok(result string) string {
	return `{"success":true,"errors":[],"messages":[],"result":` + result + `}`
}

func fail(code int, msg string) string {
	m, _ := json.Marshal(msg)
	return `{"success":false,"errors":[{"code":` + itoa(code) + `,"message":` + string(m) + `}],"messages":[],"result":null}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func newServer(t *testing.T) (*vectorize.Service, *httptest.Server) {
	svc := mustOpen(t, "", nil, vectorize.Limits{})
	mux := http.NewServeMux()
	svc.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return svc, srv
}

func TestREST(t *testing.T) {
	_, srv := newServer(t)
	const created = `"created_on":"2030-01-01T00:00:00Z","modified_on":"2030-01-01T00:00:00Z"`
	ndjson := `{"id":"job:1","values":[1,0,0],"metadata":{"userId":"u1","title":"Go dev"}}
{"id":"job:2","values":[0,1,0],"namespace":"ns","metadata":{"userId":"u2"}}

{"id":"job:3","values":[58.8,1,1],"metadata":{"userId":"u1"}}
`
	runScenarios(t, srv, []scenario{
		{"create", "POST", base, "", `{"name":"jobs","description":"d","config":{"dimensions":3,"metric":"cosine"}}`,
			201, ok(`{"name":"jobs","description":"d","config":{"dimensions":3,"metric":"cosine"},` + created + `}`)},
		{"create from preset", "POST", base, "", `{"name":"bge","config":{"preset":"@cf/baai/bge-base-en-v1.5"}}`,
			201, ok(`{"name":"bge","description":"","config":{"dimensions":768,"metric":"cosine"},` + created + `}`)},
		{"create duplicate", "POST", base, "", `{"name":"jobs","config":{"dimensions":3,"metric":"cosine"}}`,
			400, fail(3002, `vectorize.index.duplicate_name - Index name "jobs"`)},
		{"create unknown preset", "POST", base, "", `{"name":"p","config":{"preset":"@cf/none"}}`,
			400, fail(10001, `unknown preset "@cf/none"`)},
		{"create malformed", "POST", base, "", `{"name":`, 400, fail(10001, "Malformed JSON in request body")},
		{"list", "GET", base, "", "", 200, ok(`[{"name":"bge","description":"","config":{"dimensions":768,"metric":"cosine"},` + created + `},` +
			`{"name":"jobs","description":"d","config":{"dimensions":3,"metric":"cosine"},` + created + `}]`)},
		{"get", "GET", base + "/jobs", "", "", 200, ok(`{"name":"jobs","description":"d","config":{"dimensions":3,"metric":"cosine"},` + created + `}`)},
		{"get missing", "GET", base + "/nope", "", "", 400, fail(3000, `vectorize.index.not_found - Index name "nope"`)},
		{"info empty", "GET", base + "/jobs/info", "", "", 200, ok(`{"vectorCount":0,"dimensions":3,"processedUpToDatetime":null,"processedUpToMutation":""}`)},
		{"metadata index create", "POST", base + "/jobs/metadata_index/create", "", `{"propertyName":"userId","indexType":"string"}`, 200, ok(`{"mutationId":"*"}`)},
		{"metadata index bad type", "POST", base + "/jobs/metadata_index/create", "", `{"propertyName":"x","indexType":"date"}`,
			400, fail(10001, `invalid indexType "date": expected one of "string", "number", "boolean"`)},
		{"metadata index list", "GET", base + "/jobs/metadata_index/list", "", "", 200, ok(`{"metadataIndexes":[{"propertyName":"userId","indexType":"string"}]}`)},
		{"insert ndjson", "POST", base + "/jobs/insert", "application/x-ndjson", ndjson, 200, ok(`{"mutationId":"*"}`)},
		{"insert keeps first", "POST", base + "/jobs/insert", "application/x-ndjson", `{"id":"job:1","values":[0,0,1]}`, 200, ok(`{"mutationId":"*"}`)},
		{"insert bad line", "POST", base + "/jobs/insert", "application/x-ndjson", "{\"id\":\"x\",\"values\":[1,2,3]}\nnot json\n",
			400, fail(40023, "VECTOR_INSERT_ERROR (code = 40023): failed to parse insert vectors request in json format")},
		{"upsert bad line discarded", "POST", base + "/jobs/upsert?unparsable-behavior=discard", "application/x-ndjson", "not json\n{\"id\":\"job:4\",\"values\":[0,0,1]}\n", 200, ok(`{"mutationId":"*"}`)},
		{"insert empty body", "POST", base + "/jobs/insert", "application/x-ndjson", "",
			400, fail(40023, "VECTOR_INSERT_ERROR (code = 40023): failed to parse insert vectors request in json format")},
		{"upsert blank lines only", "POST", base + "/jobs/upsert", "application/x-ndjson", "\n \n",
			400, fail(40023, "VECTOR_UPSERT_ERROR (code = 40023): failed to parse upsert vectors request in json format")},
		{"upsert every line discarded", "POST", base + "/jobs/upsert?unparsable-behavior=discard", "application/x-ndjson", "not json\n",
			400, fail(40023, "VECTOR_UPSERT_ERROR (code = 40023): failed to parse upsert vectors request in json format")},
		{"upsert dimensions", "POST", base + "/jobs/upsert", "application/x-ndjson", `{"id":"bad","values":[1,2]}`,
			400, fail(40012, `VECTOR_UPSERT_ERROR (code = 40012): invalid vector for id="bad", expected 3 dimensions, and got 2 dimensions`)},
		{"info", "GET", base + "/jobs/info", "", "", 200, ok(`{"vectorCount":4,"dimensions":3,"processedUpToDatetime":"2030-01-01T00:00:00Z","processedUpToMutation":"*"}`)},
		{"query", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"topK":2}`, 200,
			ok(`{"count":2,"matches":[{"id":"job:1","score":1},{"id":"job:3","score":0.9997108940753995}]}`)},
		{"query with filter, values and metadata", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"topK":5,"filter":{"userId":{"$eq":"u1"}},"returnValues":true,"returnMetadata":"all"}`, 200,
			ok(`{"count":2,"matches":[{"id":"job:1","score":1,"values":[1,0,0],"metadata":{"userId":"u1","title":"Go dev"}},` +
				`{"id":"job:3","score":0.9997108940753995,"values":[58.79999923706055,1,1],"metadata":{"userId":"u1"}}]}`)},
		{"query namespace", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"namespace":"ns","returnMetadata":"indexed"}`, 200,
			ok(`{"count":1,"matches":[{"id":"job:2","score":0,"metadata":{"userId":"u2"},"namespace":"ns"}]}`)},
		{"query returnMetadata boolean", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"returnMetadata":true}`,
			400, fail(40026, "VECTOR_QUERY_ERROR (code = 40026): Failed to parse the request body as JSON: returnMetadata: expected value")},
		{"query returnMetadata unknown", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"returnMetadata":"some"}`,
			400, fail(40026, "VECTOR_QUERY_ERROR (code = 40026): Failed to parse the request body as JSON: returnMetadata: unknown variant `some`, expected one of `none`, `indexed`, `all`")},
		{"query filter not an object", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"filter":[1]}`,
			400, fail(40026, "VECTOR_QUERY_ERROR (code = 40026): Failed to parse the request body as JSON: filter: expected a JSON object")},
		{"query malformed", "POST", base + "/jobs/query", "", `{"vector":"x"}`,
			400, fail(40026, "VECTOR_QUERY_ERROR (code = 40026): Failed to parse the request body as JSON: vector: invalid type: string")},
		{"query dimensions", "POST", base + "/jobs/query", "", `{"topK":3}`,
			400, fail(40006, "VECTOR_QUERY_ERROR (code = 40006): invalid query vector, expected 3 dimensions, and got 0 dimensions")},
		{"query topK", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"topK":51,"returnMetadata":"all"}`,
			400, fail(40025, "VECTOR_QUERY_ERROR (code = 40025): with returnValues=true or returnMetadata=all, max top K is 50, but got 51; for a top K up to 100, retry with returnValues=false and returnMetadata=indexed")},
		{"query topK -1", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"topK":-1}`,
			400, fail(40025, "VECTOR_QUERY_ERROR (code = 40025): min top K is 1, but got -1")},
		{"query topK 0", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"topK":0}`,
			400, fail(40025, "VECTOR_QUERY_ERROR (code = 40025): min top K is 1, but got 0")},
		{"query topK null is the default", "POST", base + "/jobs/query", "", `{"vector":[1,0,0],"topK":null}`, 200,
			ok(`{"count":4,"matches":[{"id":"job:1","score":1},{"id":"job:3","score":0.9997108940753995},{"id":"job:2","score":0,"namespace":"ns"},{"id":"job:4","score":0}]}`)},
		{"get_by_ids", "POST", base + "/jobs/get_by_ids", "", `{"ids":["job:2","zzz","job:1"]}`, 200,
			ok(`[{"id":"job:2","values":[0,1,0],"namespace":"ns","metadata":{"userId":"u2"}},{"id":"job:1","values":[1,0,0],"metadata":{"userId":"u1","title":"Go dev"}}]`)},
		{"list page 1", "GET", base + "/jobs/list?count=3", "", "", 200,
			ok(`{"count":3,"isTruncated":true,"totalCount":4,"vectors":[{"id":"job:1"},{"id":"job:2"},{"id":"job:3"}],"nextCursor":"am9iOjM","cursorExpirationTimestamp":null}`)},
		{"list page 2", "GET", base + "/jobs/list?count=3&cursor=am9iOjM", "", "", 200,
			ok(`{"count":1,"isTruncated":false,"totalCount":4,"vectors":[{"id":"job:4"}],"nextCursor":null,"cursorExpirationTimestamp":null}`)},
		{"list bad count", "GET", base + "/jobs/list?count=1001", "", "", 400, fail(10001, `invalid count "1001": must be an integer between 1 and 1000`)},
		{"delete_by_ids", "POST", base + "/jobs/delete_by_ids", "", `{"ids":["job:1","job:4"]}`, 200, ok(`{"mutationId":"*"}`)},
		{"info after delete", "GET", base + "/jobs/info", "", "", 200, ok(`{"vectorCount":2,"dimensions":3,"processedUpToDatetime":"2030-01-01T00:00:00Z","processedUpToMutation":"*"}`)},
		{"metadata index delete", "POST", base + "/jobs/metadata_index/delete", "", `{"propertyName":"userId"}`, 200, ok(`{"mutationId":"*"}`)},
		{"metadata index delete missing", "POST", base + "/jobs/metadata_index/delete", "", `{"propertyName":"userId"}`, 400, fail(10001, `no metadata index for property "userId"`)},
		{"delete index", "DELETE", base + "/jobs", "", "", 200, ok(`null`)},
		{"delete index again", "DELETE", base + "/jobs", "", "", 400, fail(3000, `vectorize.index.not_found - Index name "jobs"`)},
		{"query deleted index", "POST", base + "/jobs/query", "", `{"vector":[1,0,0]}`, 400, fail(3000, `vectorize.index.not_found - Index name "jobs"`)},
	})
}

func TestRESTMultipartInsert(t *testing.T) {
	svc, srv := newServer(t)
	mustIndex(t, svc, "mp", 2, "euclidean")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("vectors", "vectors.ndjson")
	io.WriteString(fw, "{\"id\":\"a\",\"values\":[1,2]}\n{\"id\":\"b\",\"values\":[3,4]}\n")
	mw.Close()
	runScenarios(t, srv, []scenario{
		{"multipart upsert", "POST", base + "/mp/upsert", mw.FormDataContentType(), buf.String(), 200, ok(`{"mutationId":"*"}`)},
		{"euclidean query", "POST", base + "/mp/query", "", `{"vector":[1,2],"topK":2}`, 200,
			ok(`{"count":2,"matches":[{"id":"a","score":0},{"id":"b","score":2.8284271247461903}]}`)},
	})
	x, _ := svc.Index("mp")
	if info, _ := x.Describe(t.Context()); info.VectorCount != 2 {
		t.Fatalf("vectorCount = %d, want 2", info.VectorCount)
	}
	_ = runtime.VectorizeMetadataAll
}
