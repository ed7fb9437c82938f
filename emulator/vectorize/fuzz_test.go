package vectorize_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/emulator/vectorize"
)

// FuzzVectorizeBodies sends arbitrary insert/upsert bodies (NDJSON, or a
// multipart form) and query bodies (JSON) over REST to an index of 3
// dimensions: nothing panics or answers 500, and every refusal is a v4
// envelope.
func FuzzVectorizeBodies(f *testing.F) {
	for _, seed := range []struct {
		op          byte
		contentType byte
		query, body string
	}{
		{0, 0, "", `{"id":"a","values":[1,0,0],"metadata":{"k":"v"}}` + "\n"},
		{1, 0, "unparsable-behavior=discard", "not json\n" + `{"id":"b","values":[0,1,0],"namespace":"n"}`},
		{0, 0, "", ""},
		{1, 1, "", "--X\r\nContent-Disposition: form-data; name=\"vectors\"; filename=\"v\"\r\n\r\n{\"id\":\"c\",\"values\":[1,1,1]}\r\n--X--\r\n"},
		{2, 2, "", `{"vector":[1,0,0],"topK":-1}`},
		{2, 2, "", `{"vector":[1,0,0],"topK":3,"returnValues":true,"returnMetadata":"all","filter":{"k":{"$in":["v"]}}}`},
		{2, 2, "", `{"vector":[1e39,0,0],"filter":{"$and":1}}`},
		{0, 0, "", `{"id":"d","values":[1,0,1e39]}`},
	} {
		f.Add(seed.op, seed.contentType, seed.query, seed.body)
	}
	svc := mustOpen(f, "", nil, vectorize.Limits{})
	mustIndex(f, svc, "fz", 3, vectorize.MetricCosine)
	mux := http.NewServeMux()
	svc.Routes(mux)
	ops := []string{"insert", "upsert", "query"}
	types := []string{"application/x-ndjson", "multipart/form-data; boundary=X", "application/json"}
	f.Fuzz(func(t *testing.T, op, contentType byte, query, body string) {
		req, err := http.NewRequest("POST", base+"/fz/"+ops[int(op)%len(ops)]+"?"+query, strings.NewReader(body))
		if err != nil {
			return // not a request a client can send
		}
		req.Header.Set("Content-Type", types[int(contentType)%len(types)])
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			emulatortest.CheckV4Error(t, rec.Code, rec.Header(), rec.Body.Bytes())
		}
	})
}
