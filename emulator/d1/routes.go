package d1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"jobmatch-edge/emulator/cfapi"
	"jobmatch-edge/runtime"
)

// Routes registers D1's REST API on mux, under cfapi.Prefix.
func (s *Service) Routes(mux *http.ServeMux) {
	base := cfapi.Prefix + "/d1/database"
	// GET /accounts/{account_id}/d1/database (List D1 Databases)
	mux.HandleFunc("GET "+base, s.handleListDatabases)
	// POST /accounts/{account_id}/d1/database (Create D1 Database)
	mux.HandleFunc("POST "+base, s.handleCreateDatabase)
	// GET /accounts/{account_id}/d1/database/{database_id} (Get D1 Database)
	mux.HandleFunc("GET "+base+"/{id}", s.handleGetDatabase)
	// DELETE /accounts/{account_id}/d1/database/{database_id} (Delete D1 Database)
	mux.HandleFunc("DELETE "+base+"/{id}", s.handleDeleteDatabase)
	// POST /accounts/{account_id}/d1/database/{database_id}/query (Query D1 Database)
	mux.HandleFunc("POST "+base+"/{id}/query", s.handleQuery(false))
	// POST /accounts/{account_id}/d1/database/{database_id}/raw (Raw D1 Database query)
	mux.HandleFunc("POST "+base+"/{id}/raw", s.handleQuery(true))
}

// databaseJSON is D1's database object.
type databaseJSON struct {
	UUID            string          `json:"uuid"`
	Name            string          `json:"name"`
	Version         string          `json:"version"`
	CreatedAt       string          `json:"created_at"`
	FileSize        int64           `json:"file_size"`
	NumTables       int             `json:"num_tables"`
	ReadReplication *readReplicaton `json:"read_replication,omitempty"`
}

type readReplicaton struct {
	Mode string `json:"mode"`
}

func (db *Database) json(detail bool) databaseJSON {
	out := databaseJSON{
		UUID: db.info.UUID, Name: db.info.Name, Version: "production",
		CreatedAt: db.info.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"),
		FileSize:  db.Size(), NumTables: db.NumTables(),
	}
	if detail {
		out.ReadReplication = &readReplicaton{Mode: "disabled"}
	}
	return out
}

type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
}

func (s *Service) handleListDatabases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, err := intParam(q.Get("page"), 1, 1, math.MaxInt32)
	if err != nil {
		runtime.WriteError(w, err)
		return
	}
	perPage, err := intParam(q.Get("per_page"), 1000, 10, 10000)
	if err != nil {
		runtime.WriteError(w, err)
		return
	}
	name := q.Get("name")
	var all []databaseJSON
	for _, db := range s.List() {
		if name != "" && !strings.Contains(db.info.Name, name) {
			continue
		}
		all = append(all, db.json(false))
	}
	total := len(all)
	start := min((page-1)*perPage, total)
	end := min(start+perPage, total)
	items := append([]databaseJSON{}, all[start:end]...)
	runtime.WriteJSON(w, http.StatusOK, runtime.OKPaged(items,
		resultInfo{Page: page, PerPage: perPage, Count: len(items), TotalCount: total}))
}

func intParam(v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, runtime.NewError(http.StatusBadRequest, runtime.CodeValidation,
			fmt.Sprintf("invalid value %q: must be an integer between %d and %d", v, lo, hi))
	}
	return n, nil
}

func (s *Service) handleCreateDatabase(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		runtime.WriteError(w, err)
		return
	}
	db, err := s.Create(body.Name)
	if err != nil {
		runtime.WriteError(w, err)
		return
	}
	runtime.WriteResult(w, db.json(true))
}

func (s *Service) handleGetDatabase(w http.ResponseWriter, r *http.Request) {
	db, err := s.Get(r.PathValue("id"))
	if err != nil {
		runtime.WriteError(w, err)
		return
	}
	runtime.WriteResult(w, db.json(true))
}

func (s *Service) handleDeleteDatabase(w http.ResponseWriter, r *http.Request) {
	if err := s.Delete(r.PathValue("id")); err != nil {
		runtime.WriteError(w, err)
		return
	}
	runtime.WriteResult(w, nil)
}

// queryBody is the body of /query and /raw: one {sql, params} or a batch.
type queryBody struct {
	SQL    *string     `json:"sql"`
	Params []any       `json:"params"`
	Batch  []queryItem `json:"batch"`
}

type queryItem struct {
	SQL    string `json:"sql"`
	Params []any  `json:"params"`
}

// jsonParams converts decoded JSON parameters (numbers as json.Number) to
// bindable values.
func jsonParams(in []any) ([]any, error) {
	out := make([]any, len(in))
	for i, v := range in {
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				out[i] = n
			} else if f, err := x.Float64(); err == nil {
				out[i] = f
			} else {
				return nil, typeErr(v)
			}
		case nil, bool, string:
			out[i] = x
		default:
			return nil, &runtime.D1Error{Kind: runtime.D1KindTypeError,
				Message: fmt.Sprintf("Type 'object' not supported for value '%v'", v)}
		}
	}
	return out, nil
}

func (s *Service) handleQuery(raw bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		db, err := s.Get(r.PathValue("id"))
		if err != nil {
			runtime.WriteError(w, err)
			return
		}
		var body queryBody
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, cfapi.MaxJSONBody))
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			runtime.WriteError(w, runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, "Malformed JSON in request body").With(err))
			return
		}
		var qs []Query
		switch {
		case body.Batch != nil:
			for _, it := range body.Batch {
				p, err := jsonParams(it.Params)
				if err != nil {
					writeD1Error(w, err)
					return
				}
				qs = append(qs, Query{SQL: it.SQL, Args: p})
			}
		case body.SQL != nil:
			p, err := jsonParams(body.Params)
			if err != nil {
				writeD1Error(w, err)
				return
			}
			qs = []Query{{SQL: *body.SQL, Args: p}}
		default:
			runtime.WriteError(w, runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, "sql: Required"))
			return
		}
		var results []Result
		if len(qs) == 1 {
			results, err = db.runQuery(r.Context(), qs[0], runMode{each: true})
		} else {
			var nested [][]Result
			nested, err = db.runBatch(r.Context(), qs, runMode{each: true})
			for _, n := range nested {
				results = append(results, n...)
			}
		}
		if err != nil {
			writeD1Error(w, err)
			return
		}
		var buf bytes.Buffer
		buf.WriteString(`{"result":[`)
		for i := range results {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeResultJSON(&buf, &results[i], raw)
		}
		buf.WriteString(`],"success":true,"errors":[],"messages":[]}`)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(buf.Bytes())
	}
}

// writeD1Error answers a failed query as D1 does: 400, code 7500, the
// message without its D1_ERROR prefix, and the cf-d1 header.
func writeD1Error(w http.ResponseWriter, err error) {
	var de *runtime.D1Error
	if errors.As(err, &de) {
		w.Header().Set(HeaderD1, fmt.Sprintf("err=%d", runtime.CodeD1Error))
		runtime.WriteJSON(w, http.StatusBadRequest, runtime.Envelope{
			Success: false, Result: []any{}, Messages: []runtime.ErrorItem{},
			Errors: []runtime.ErrorItem{{Code: runtime.CodeD1Error, Message: de.Message}},
		})
		return
	}
	runtime.WriteError(w, err)
}

// writeResultJSON writes one statement's result, rows as objects with the
// columns in order (a later duplicate overwriting an earlier one in place,
// as in JavaScript) or, for raw, as {columns, rows}.
func writeResultJSON(buf *bytes.Buffer, r *Result, raw bool) {
	buf.WriteString(`{"results":`)
	if raw {
		buf.WriteString(`{"columns":`)
		writeJSON(buf, r.Columns)
		buf.WriteString(`,"rows":[`)
		for i, row := range r.Rows {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteByte('[')
			for j, v := range row {
				if j > 0 {
					buf.WriteByte(',')
				}
				writeValue(buf, v)
			}
			buf.WriteByte(']')
		}
		buf.WriteString(`]}`)
	} else {
		// Column positions after collapsing duplicate names.
		var keys []string
		pos := make([]int, len(r.Columns))
		index := map[string]int{}
		for j, c := range r.Columns {
			k, ok := index[c]
			if !ok {
				k = len(keys)
				index[c] = k
				keys = append(keys, c)
			}
			pos[j] = k
		}
		vals := make([]any, len(keys))
		buf.WriteByte('[')
		for i, row := range r.Rows {
			if i > 0 {
				buf.WriteByte(',')
			}
			for j, v := range row {
				vals[pos[j]] = v
			}
			buf.WriteByte('{')
			for k, key := range keys {
				if k > 0 {
					buf.WriteByte(',')
				}
				writeJSON(buf, key)
				buf.WriteByte(':')
				writeValue(buf, vals[k])
			}
			buf.WriteByte('}')
		}
		buf.WriteByte(']')
	}
	buf.WriteString(`,"success":true,"meta":`)
	writeJSON(buf, r.Meta)
	buf.WriteByte('}')
}

// writeValue writes an SQLite value as D1 does: BLOBs as arrays of byte
// numbers, non-finite reals as null.
func writeValue(buf *bytes.Buffer, v any) {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			buf.WriteString("null")
			return
		}
		writeJSON(buf, x)
	case []byte:
		buf.WriteByte('[')
		for i, b := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(strconv.Itoa(int(b)))
		}
		buf.WriteByte(']')
	default:
		writeJSON(buf, x)
	}
}

func writeJSON(buf *bytes.Buffer, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		buf.WriteString("null")
		return
	}
	buf.Write(data)
}
