package vectorize

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"

	"jobmatch-edge/emulator/cfapi"
	"jobmatch-edge/runtime"
)

// Routes registers the Vectorize v2 REST API under the account prefix.
func (s *Service) Routes(mux *http.ServeMux) {
	base := cfapi.Prefix + "/vectorize/v2/indexes"
	idx := base + "/{index_name}"
	// POST /accounts/{account_id}/vectorize/v2/indexes
	mux.HandleFunc("POST "+base, s.handleCreateIndex)
	// GET /accounts/{account_id}/vectorize/v2/indexes
	mux.HandleFunc("GET "+base, s.handleListIndexes)
	// GET /accounts/{account_id}/vectorize/v2/indexes/{index_name}
	mux.HandleFunc("GET "+idx, s.withIndex(s.handleGetIndex))
	// DELETE /accounts/{account_id}/vectorize/v2/indexes/{index_name}
	mux.HandleFunc("DELETE "+idx, s.handleDeleteIndex)
	// GET /accounts/{account_id}/vectorize/v2/indexes/{index_name}/info
	mux.HandleFunc("GET "+idx+"/info", s.withIndex(s.handleIndexInfo))
	// POST /accounts/{account_id}/vectorize/v2/indexes/{index_name}/insert (NDJSON)
	mux.HandleFunc("POST "+idx+"/insert", s.withIndex(s.handleInsert))
	// POST /accounts/{account_id}/vectorize/v2/indexes/{index_name}/upsert (NDJSON)
	mux.HandleFunc("POST "+idx+"/upsert", s.withIndex(s.handleUpsert))
	// POST /accounts/{account_id}/vectorize/v2/indexes/{index_name}/query
	mux.HandleFunc("POST "+idx+"/query", s.withIndex(s.handleQuery))
	// POST /accounts/{account_id}/vectorize/v2/indexes/{index_name}/get_by_ids
	mux.HandleFunc("POST "+idx+"/get_by_ids", s.withIndex(s.handleGetByIDs))
	// POST /accounts/{account_id}/vectorize/v2/indexes/{index_name}/delete_by_ids
	mux.HandleFunc("POST "+idx+"/delete_by_ids", s.withIndex(s.handleDeleteByIDs))
	// GET /accounts/{account_id}/vectorize/v2/indexes/{index_name}/list
	mux.HandleFunc("GET "+idx+"/list", s.withIndex(s.handleListVectors))
	// POST /accounts/{account_id}/vectorize/v2/indexes/{index_name}/metadata_index/create
	mux.HandleFunc("POST "+idx+"/metadata_index/create", s.withIndex(s.handleCreateMetadataIndex))
	// POST /accounts/{account_id}/vectorize/v2/indexes/{index_name}/metadata_index/delete
	mux.HandleFunc("POST "+idx+"/metadata_index/delete", s.withIndex(s.handleDeleteMetadataIndex))
	// GET /accounts/{account_id}/vectorize/v2/indexes/{index_name}/metadata_index/list
	mux.HandleFunc("GET "+idx+"/metadata_index/list", s.withIndex(s.handleListMetadataIndexes))
}

type indexHandler func(w http.ResponseWriter, r *http.Request, x *Index) error

// withIndex resolves {index_name} and writes any error as a v4 envelope.
func (s *Service) withIndex(h indexHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		x, err := s.Index(r.PathValue("index_name"))
		if err == nil {
			err = h(w, r, x)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if status := runtime.WriteError(w, err); status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
	}
}

type createIndexBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Config      struct {
		Dimensions int    `json:"dimensions"`
		Metric     string `json:"metric"`
		Preset     string `json:"preset"`
	} `json:"config"`
}

func (s *Service) handleCreateIndex(w http.ResponseWriter, r *http.Request) {
	var body createIndexBody
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg := IndexConfig{Dimensions: body.Config.Dimensions, Metric: body.Config.Metric}
	if body.Config.Preset != "" {
		p, ok := Presets[body.Config.Preset]
		if !ok {
			s.writeError(w, r, errValidation("unknown preset %q", body.Config.Preset))
			return
		}
		cfg = p
	}
	x, err := s.CreateIndex(r.Context(), body.Name, body.Description, cfg)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	runtime.WriteJSON(w, http.StatusCreated, runtime.OK(x.Info()))
}

func (s *Service) handleListIndexes(w http.ResponseWriter, r *http.Request) {
	out := []Info{}
	for _, x := range s.Indexes() {
		out = append(out, x.Info())
	}
	runtime.WriteResult(w, out)
}

func (s *Service) handleGetIndex(w http.ResponseWriter, r *http.Request, x *Index) error {
	runtime.WriteResult(w, x.Info())
	return nil
}

func (s *Service) handleDeleteIndex(w http.ResponseWriter, r *http.Request) {
	if err := s.DeleteIndex(r.Context(), r.PathValue("index_name")); err != nil {
		s.writeError(w, r, err)
		return
	}
	runtime.WriteResult(w, nil)
}

func (s *Service) handleIndexInfo(w http.ResponseWriter, r *http.Request, x *Index) error {
	info, err := x.Describe(r.Context())
	if err != nil {
		return err
	}
	runtime.WriteResult(w, info)
	return nil
}

func (s *Service) handleInsert(w http.ResponseWriter, r *http.Request, x *Index) error {
	return s.handleWrite(w, r, x, opInsert, false)
}

func (s *Service) handleUpsert(w http.ResponseWriter, r *http.Request, x *Index) error {
	return s.handleWrite(w, r, x, opUpsert, true)
}

// ndjsonVector is one line of an insert/upsert body.
type ndjsonVector struct {
	ID        string         `json:"id"`
	Values    []float64      `json:"values"`
	Namespace string         `json:"namespace"`
	Metadata  map[string]any `json:"metadata"`
}

func (s *Service) handleWrite(w http.ResponseWriter, r *http.Request, x *Index, op string, upsert bool) error {
	parseErr := errParseVectors(op)
	discard := r.URL.Query().Get("unparsable-behavior") == "discard"
	body, err := readVectorsBody(r)
	if err != nil {
		return parseErr.With(err)
	}
	var vectors []runtime.VectorizeVector
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), len(body)+1)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v ndjsonVector
		if err := json.Unmarshal(line, &v); err != nil {
			if discard {
				continue
			}
			return parseErr.With(err)
		}
		vals := make(runtime.VectorizeValues, len(v.Values))
		for i, f := range v.Values {
			vals[i] = float32(f)
			if math.IsInf(float64(vals[i]), 0) {
				return parseErr.With(fmt.Errorf("vector %q: value %g overflows float32", v.ID, f))
			}
		}
		vectors = append(vectors, runtime.VectorizeVector{ID: v.ID, Values: vals, Namespace: v.Namespace, Metadata: v.Metadata})
	}
	if err := sc.Err(); err != nil {
		return parseErr.With(err)
	}
	m, err := x.write(r.Context(), op, vectors, upsert, s.limits.MaxBatchHTTP)
	if err != nil {
		return err
	}
	runtime.WriteResult(w, m)
	return nil
}

// readVectorsBody returns the NDJSON: the raw body, or the "vectors" file
// of a multipart form (what wrangler uploads).
func readVectorsBody(r *http.Request) ([]byte, error) {
	body := io.LimitReader(r.Body, cfapi.MaxJSONBody+1)
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType == "multipart/form-data" {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				return nil, fmt.Errorf("no \"vectors\" part in the form: %w", err)
			}
			if part.FormName() == "vectors" {
				return io.ReadAll(part)
			}
		}
	}
	data, err := io.ReadAll(body)
	if err == nil && len(data) > cfapi.MaxJSONBody {
		err = errors.New("request body too large")
	}
	return data, err
}

// queryBody is the REST query request.
type queryBody struct {
	Vector         []float64       `json:"vector"`
	TopK           *int            `json:"topK"` // nil: not given (the default)
	Namespace      string          `json:"namespace"`
	ReturnValues   bool            `json:"returnValues"`
	ReturnMetadata json.RawMessage `json:"returnMetadata"`
	Filter         json.RawMessage `json:"filter"`
}

func errQueryParse(format string, args ...any) *runtime.Error {
	return opError(opQuery, runtime.CodeVectorizeParseQuery, "Failed to parse the request body as JSON: "+format, args...)
}

func (s *Service) handleQuery(w http.ResponseWriter, r *http.Request, x *Index) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, cfapi.MaxJSONBody))
	if err != nil {
		return errQueryParse("%v", err)
	}
	var body queryBody
	if err := json.Unmarshal(data, &body); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return errQueryParse("%s: invalid type: %s", te.Field, te.Value)
		}
		return errQueryParse("%v", err)
	}
	o := runtime.VectorizeQueryOptions{Namespace: body.Namespace, ReturnValues: body.ReturnValues}
	if body.TopK != nil {
		if *body.TopK < 1 {
			return errTopKTooSmall(*body.TopK)
		}
		o.TopK = *body.TopK
	}
	if raw := bytes.TrimSpace(body.ReturnMetadata); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		var mode string
		if json.Unmarshal(raw, &mode) != nil {
			// Production's text for `returnMetadata: true` over REST [OBS].
			return errQueryParse("returnMetadata: expected value")
		}
		switch mode {
		case runtime.VectorizeMetadataNone, runtime.VectorizeMetadataIndexed, runtime.VectorizeMetadataAll:
			o.ReturnMetadata = mode
		default:
			return errQueryParse("returnMetadata: unknown variant `%s`, expected one of `none`, `indexed`, `all`", mode)
		}
	}
	if raw := bytes.TrimSpace(body.Filter); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if json.Unmarshal(raw, &o.Filter) != nil || o.Filter == nil {
			return errQueryParse("filter: expected a JSON object")
		}
	}
	vec := make([]float32, len(body.Vector))
	for i, f := range body.Vector {
		vec[i] = float32(f)
	}
	res, err := x.Query(r.Context(), vec, o)
	if err != nil {
		return err
	}
	runtime.WriteResult(w, res)
	return nil
}

type idsBody struct {
	IDs []string `json:"ids"`
}

func (s *Service) handleGetByIDs(w http.ResponseWriter, r *http.Request, x *Index) error {
	var body idsBody
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	vs, err := x.GetByIDs(r.Context(), body.IDs)
	if err != nil {
		return err
	}
	runtime.WriteResult(w, vs)
	return nil
}

func (s *Service) handleDeleteByIDs(w http.ResponseWriter, r *http.Request, x *Index) error {
	var body idsBody
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	m, err := x.DeleteByIDs(r.Context(), body.IDs)
	if err != nil {
		return err
	}
	runtime.WriteResult(w, m)
	return nil
}

// listVectorsResult is the REST list result.
type listVectorsResult struct {
	Count                     int          `json:"count"`
	IsTruncated               bool         `json:"isTruncated"`
	TotalCount                int          `json:"totalCount"`
	Vectors                   []listVector `json:"vectors"`
	NextCursor                *string      `json:"nextCursor"`
	CursorExpirationTimestamp *string      `json:"cursorExpirationTimestamp"`
}

type listVector struct {
	ID string `json:"id"`
}

func (s *Service) handleListVectors(w http.ResponseWriter, r *http.Request, x *Index) error {
	q := r.URL.Query()
	count := s.limits.DefaultListVectors
	if c := q.Get("count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > s.limits.MaxListVectors {
			return errValidation("invalid count %q: must be an integer between 1 and %d", c, s.limits.MaxListVectors)
		}
		count = n
	}
	after := ""
	if c := q.Get("cursor"); c != "" {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			return errValidation("invalid cursor %q", c)
		}
		after = string(raw)
	}
	ids, total, truncated, err := x.ListVectors(after, count)
	if err != nil {
		return err
	}
	res := listVectorsResult{Count: len(ids), IsTruncated: truncated, TotalCount: total, Vectors: make([]listVector, len(ids))}
	for i, id := range ids {
		res.Vectors[i] = listVector{ID: id}
	}
	if truncated {
		next := base64.RawURLEncoding.EncodeToString([]byte(ids[len(ids)-1]))
		res.NextCursor = &next
	}
	runtime.WriteResult(w, res)
	return nil
}

type metadataIndexBody struct {
	PropertyName string `json:"propertyName"`
	IndexType    string `json:"indexType"`
}

func (s *Service) handleCreateMetadataIndex(w http.ResponseWriter, r *http.Request, x *Index) error {
	var body metadataIndexBody
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	m, err := x.CreateMetadataIndex(r.Context(), body.PropertyName, body.IndexType)
	if err != nil {
		return err
	}
	runtime.WriteResult(w, m)
	return nil
}

func (s *Service) handleDeleteMetadataIndex(w http.ResponseWriter, r *http.Request, x *Index) error {
	var body metadataIndexBody
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		return err
	}
	m, err := x.DeleteMetadataIndex(r.Context(), body.PropertyName)
	if err != nil {
		return err
	}
	runtime.WriteResult(w, m)
	return nil
}

func (s *Service) handleListMetadataIndexes(w http.ResponseWriter, r *http.Request, x *Index) error {
	list, err := x.ListMetadataIndexes(r.Context())
	if err != nil {
		return err
	}
	runtime.WriteResult(w, map[string]any{"metadataIndexes": list})
	return nil
}
