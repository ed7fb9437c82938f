package kv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"

	"jobmatch-edge/emulator/cfapi"
	"jobmatch-edge/runtime"
)

// Routes registers the Workers KV endpoints of the Cloudflare REST API v4
// (cloudflare-semantics.md §2.2) on mux. The account and token checks are
// cfapi.Guard's, in front of the mux.
func (s *Service) Routes(mux *http.ServeMux) {
	const base = cfapi.Prefix + "/storage/kv/namespaces"
	// GET  /accounts/{account_id}/storage/kv/namespaces                        List Namespaces
	mux.HandleFunc("GET "+base, s.handleListNamespaces)
	// POST /accounts/{account_id}/storage/kv/namespaces                        Create a Namespace
	mux.HandleFunc("POST "+base, s.handleCreateNamespace)
	// GET  /accounts/{account_id}/storage/kv/namespaces/{namespace_id}         Get a Namespace
	mux.HandleFunc("GET "+base+"/{ns}", s.handleGetNamespace)
	// PUT  /accounts/{account_id}/storage/kv/namespaces/{namespace_id}         Rename a Namespace
	mux.HandleFunc("PUT "+base+"/{ns}", s.handleRenameNamespace)
	// DELETE /accounts/{account_id}/storage/kv/namespaces/{namespace_id}       Remove a Namespace
	mux.HandleFunc("DELETE "+base+"/{ns}", s.handleDeleteNamespace)
	// GET  .../namespaces/{namespace_id}/keys                                  List a Namespace's Keys
	mux.HandleFunc("GET "+base+"/{ns}/keys", s.handleListKeys)
	// GET  .../namespaces/{namespace_id}/values/{key_name}                     Read key-value pair
	mux.HandleFunc("GET "+base+"/{ns}/values/{key...}", s.handleGetValue)
	// PUT  .../namespaces/{namespace_id}/values/{key_name}                     Write key-value pair with metadata
	mux.HandleFunc("PUT "+base+"/{ns}/values/{key...}", s.handlePutValue)
	// DELETE .../namespaces/{namespace_id}/values/{key_name}                   Delete key-value pair
	mux.HandleFunc("DELETE "+base+"/{ns}/values/{key...}", s.handleDeleteValue)
	// GET  .../namespaces/{namespace_id}/metadata/{key_name}                   Read the metadata for a key
	mux.HandleFunc("GET "+base+"/{ns}/metadata/{key...}", s.handleGetMetadata)
	// PUT  .../namespaces/{namespace_id}/bulk                                  Write multiple key-value pairs
	mux.HandleFunc("PUT "+base+"/{ns}/bulk", s.handleBulkWrite)
	// POST .../namespaces/{namespace_id}/bulk/delete                           Delete multiple key-value pairs
	mux.HandleFunc("POST "+base+"/{ns}/bulk/delete", s.handleBulkDelete)
	// DELETE .../namespaces/{namespace_id}/bulk                                Delete multiple key-value pairs (legacy; wrangler uses it)
	mux.HandleFunc("DELETE "+base+"/{ns}/bulk", s.handleBulkDelete)
	// POST .../namespaces/{namespace_id}/bulk/get                              Get multiple key-value pairs
	mux.HandleFunc("POST "+base+"/{ns}/bulk/get", s.handleBulkGet)
}

// maxMetadataPart is how much of a multipart metadata part is kept for
// parsing; anything longer is over the metadata limit however it compacts.
const maxMetadataPart = 1 << 20

var namespaceIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// namespace resolves {ns}. It answers the request itself and returns nil
// when the namespace does not exist: 10013 in the words of op for a
// well-formed id, 7003 "Could not route" for an id that cannot be one.
func (s *Service) namespace(w http.ResponseWriter, r *http.Request, op string) *Namespace {
	id := r.PathValue("ns")
	if ns, ok := s.Namespace(id); ok {
		return ns
	}
	if !namespaceIDPattern.MatchString(id) {
		cfapi.NotFound(w, r)
		return nil
	}
	s.fail(w, r, errNamespaceNotFound(op))
	return nil
}

// fail writes err as a v4 failure envelope, logging server-side failures.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	if status := runtime.WriteError(w, err); status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// namespaceResultInfo is result_info of the namespace list.
type namespaceResultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

func (s *Service) handleListNamespaces(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := queryInt(q.Get("page"), 1)
	if page < 1 {
		page = 1
	}
	perPage := queryInt(q.Get("per_page"), namespacePageDflt)
	// Differs from Cloudflare: an out-of-range per_page is clamped, not refused.
	perPage = max(1, min(perPage, namespacePageMax))
	all := s.Namespaces() // by title, then id
	if q.Get("order") == "id" {
		sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	}
	if q.Get("direction") == "desc" {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	from := min((page-1)*perPage, len(all))
	items := all[from:min(from+perPage, len(all))]
	info := namespaceResultInfo{Page: page, PerPage: perPage, Count: len(items), TotalCount: len(all),
		TotalPages: (len(all) + perPage - 1) / perPage}
	runtime.WriteJSON(w, http.StatusOK, runtime.OKPaged(items, info))
}

func queryInt(raw string, dflt int) int {
	if v, err := strconv.Atoi(raw); err == nil {
		return v
	}
	return dflt
}

type titleBody struct {
	Title string `json:"title"`
}

func (s *Service) handleCreateNamespace(w http.ResponseWriter, r *http.Request) {
	var body titleBody
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	info, err := s.CreateNamespace(body.Title)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	runtime.WriteResult(w, info)
}

func (s *Service) handleGetNamespace(w http.ResponseWriter, r *http.Request) {
	if ns := s.namespace(w, r, "get namespace"); ns != nil {
		runtime.WriteResult(w, ns.Info())
	}
}

func (s *Service) handleRenameNamespace(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "rename namespace")
	if ns == nil {
		return
	}
	var body titleBody
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	info, err := s.RenameNamespace(ns.id, body.Title)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	runtime.WriteResult(w, info)
}

func (s *Service) handleDeleteNamespace(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "remove namespace")
	if ns == nil {
		return
	}
	if err := s.DeleteNamespace(r.Context(), ns.id); err != nil {
		s.fail(w, r, err)
		return
	}
	runtime.WriteResult(w, nil)
}

// keysResultInfo is result_info of the key list: cursor is "" on the last page.
type keysResultInfo struct {
	Count  int    `json:"count"`
	Cursor string `json:"cursor"`
}

func (s *Service) handleListKeys(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "list keys")
	if ns == nil {
		return
	}
	q := r.URL.Query()
	limit := 0 // absent or not a number: the default, as the binding
	if v, ok := parseJSInt(q.Get("limit")); ok {
		limit = int(max(min(v, 1<<31-1), -1))
	}
	// Differs from Cloudflare: the OpenAPI minimum of 10 is not enforced
	// (Miniflare's local API does not enforce it either).
	res, err := ns.List(r.Context(), runtime.KVListOptions{Prefix: q.Get("prefix"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	runtime.WriteJSON(w, http.StatusOK, runtime.OKPaged(res.Keys, keysResultInfo{Count: len(res.Keys), Cursor: res.Cursor}))
}

func (s *Service) handleGetValue(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "get")
	if ns == nil {
		return
	}
	e, err := ns.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentTypeOctet)
	h.Set("Content-Length", strconv.Itoa(len(e.Value)))
	if e.Expiration != 0 {
		h.Set(headerExpiration, strconv.FormatInt(e.Expiration, 10))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(e.Value)
}

func (s *Service) handleGetMetadata(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "get")
	if ns == nil {
		return
	}
	e, err := ns.Get(r.Context(), r.PathValue("key"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if e.Metadata == nil {
		runtime.WriteResult(w, nil)
		return
	}
	runtime.WriteResult(w, e.Metadata)
}

func (s *Service) handlePutValue(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "put")
	if ns == nil {
		return
	}
	key := r.PathValue("key")
	if err := validateKey(opPut, key); err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	p := putRequest{key: key}
	if q.Has("expiration_ttl") {
		p.expirationTTL = ptr(q.Get("expiration_ttl"))
	}
	if q.Has("expiration") {
		p.expiration = ptr(q.Get("expiration"))
	}
	val, err := s.readPutBody(r, &p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := ns.put(opPut, "put", p, val); err != nil {
		s.fail(w, r, err)
		return
	}
	runtime.WriteResult(w, struct{}{})
}

// readPutBody reads the value (and, from multipart/form-data, the
// metadata) of a value PUT. p.valueLen is the full length of the value even
// past the limit, which is kept only up to the limit.
func (s *Service) readPutBody(r *http.Request, p *putRequest) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		val, n, err := readCapped(r.Body, s.limits.MaxValueBytes)
		p.valueLen = n
		return val, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, failed(opPut, http.StatusBadRequest, "Malformed multipart/form-data request")
	}
	var val []byte
	gotValue := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, failed(opPut, http.StatusBadRequest, "Malformed multipart/form-data request")
		}
		switch part.FormName() {
		case "value":
			val, p.valueLen, err = readCapped(part, s.limits.MaxValueBytes)
			gotValue = true
		case "metadata":
			var n int
			p.metadata, n, err = readCapped(part, maxMetadataPart)
			if err == nil && n > maxMetadataPart {
				// Too long to keep; refused by its length alone.
				err = failed(opPut, http.StatusRequestEntityTooLarge, "Metadata length of %d exceeds limit of %d.", n, s.limits.MaxMetadataBytes)
			}
		}
		_ = part.Close()
		if err != nil {
			return nil, err
		}
	}
	if !gotValue {
		return nil, failed(opPut, http.StatusBadRequest, "Missing value part in multipart/form-data request")
	}
	return val, nil
}

// readCapped reads r, keeping at most limit+1 bytes but counting them all.
func readCapped(r io.Reader, limit int) ([]byte, int, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, 0, runtime.NewError(http.StatusBadRequest, runtime.CodeKVValidation, "could not read request body").With(err)
	}
	if n > int64(limit) {
		rest, err := io.Copy(io.Discard, r)
		if err != nil {
			return nil, 0, runtime.NewError(http.StatusBadRequest, runtime.CodeKVValidation, "could not read request body").With(err)
		}
		n += rest
	}
	return buf.Bytes(), int(n), nil
}

func (s *Service) handleDeleteValue(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "remove key")
	if ns == nil {
		return
	}
	if err := ns.Delete(r.Context(), r.PathValue("key")); err != nil {
		s.fail(w, r, err)
		return
	}
	runtime.WriteResult(w, struct{}{})
}

// bulkWriteItem is one pair of a bulk write.
type bulkWriteItem struct {
	Key           string          `json:"key"`
	Value         string          `json:"value"`
	Base64        bool            `json:"base64"`
	Expiration    *json.Number    `json:"expiration"`
	ExpirationTTL *json.Number    `json:"expiration_ttl"`
	Metadata      json.RawMessage `json:"metadata"`
}

// bulkResult is the result of bulk writes and deletes.
type bulkResult struct {
	SuccessfulKeyCount int      `json:"successful_key_count"`
	UnsuccessfulKeys   []string `json:"unsuccessful_keys"`
}

// handleBulkWrite validates every pair first and writes none if one is
// refused, then writes them all.
func (s *Service) handleBulkWrite(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "put")
	if ns == nil {
		return
	}
	var items []bulkWriteItem
	if err := cfapi.DecodeJSON(r, &items); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(items) > s.limits.MaxBulkWriteItems {
		s.fail(w, r, failed(opPut, http.StatusRequestEntityTooLarge, "You can write a maximum of %d keys", s.limits.MaxBulkWriteItems))
		return
	}
	type pair struct {
		key        string
		expiration int64
		metadata   []byte
		value      []byte
	}
	now := ns.now()
	pairs := make([]pair, 0, len(items))
	for _, it := range items {
		if err := validateBackendKey(opPut, it.Key); err != nil {
			s.fail(w, r, err)
			return
		}
		val := []byte(it.Value)
		if it.Base64 {
			var err error
			if val, err = base64.StdEncoding.DecodeString(it.Value); err != nil {
				s.fail(w, r, failed(opPut, http.StatusBadRequest, "Could not decode the base64 value of key %q", it.Key))
				return
			}
		}
		p := putRequest{key: it.Key, metadata: it.Metadata, valueLen: len(val)}
		if it.ExpirationTTL != nil {
			p.expirationTTL = ptr(it.ExpirationTTL.String())
		}
		if it.Expiration != nil {
			p.expiration = ptr(it.Expiration.String())
		}
		exp, meta, err := s.validatePut(opPut, p, now)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		pairs = append(pairs, pair{it.Key, exp, meta, val})
	}
	if err := ns.usable(opPut, "put"); err != nil {
		s.fail(w, r, err)
		return
	}
	res := bulkResult{UnsuccessfulKeys: []string{}}
	for _, p := range pairs {
		if err := ns.write(p.key, p.expiration, p.metadata, p.value); err != nil {
			s.log.ErrorContext(r.Context(), "bulk write", "ns", ns.id, "err", err)
			res.UnsuccessfulKeys = append(res.UnsuccessfulKeys, p.key)
			continue
		}
		res.SuccessfulKeyCount++
	}
	runtime.WriteResult(w, res)
}

func (s *Service) handleBulkDelete(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "remove key")
	if ns == nil {
		return
	}
	var keys []string
	if err := cfapi.DecodeJSON(r, &keys); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(keys) > s.limits.MaxBulkDeleteKeys {
		s.fail(w, r, failed(opDelete, http.StatusRequestEntityTooLarge, "You can delete a maximum of %d keys", s.limits.MaxBulkDeleteKeys))
		return
	}
	for _, k := range keys {
		if err := validateBackendKey(opDelete, k); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := ns.usable(opDelete, "remove key"); err != nil {
		s.fail(w, r, err)
		return
	}
	res := bulkResult{UnsuccessfulKeys: []string{}}
	for _, k := range keys {
		if err := ns.remove(k, func(*record) bool { return true }); err != nil {
			s.log.ErrorContext(r.Context(), "bulk delete", "ns", ns.id, "err", err)
			res.UnsuccessfulKeys = append(res.UnsuccessfulKeys, k)
			continue
		}
		res.SuccessfulKeyCount++
	}
	runtime.WriteResult(w, res)
}

type bulkGetBody struct {
	Keys         []string `json:"keys"`
	Type         string   `json:"type"`
	WithMetadata bool     `json:"withMetadata"`
}

// bulkGetValue is one present key of a bulk get with metadata.
type bulkGetValue struct {
	Value      any             `json:"value"`
	Metadata   json.RawMessage `json:"metadata"`
	Expiration int64           `json:"expiration,omitempty"`
}

func (s *Service) handleBulkGet(w http.ResponseWriter, r *http.Request) {
	ns := s.namespace(w, r, "bulk get keys")
	if ns == nil {
		return
	}
	var body bulkGetBody
	if err := cfapi.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	got, err := ns.GetBulk(r.Context(), body.Keys, runtime.KVBulkGetOptions{Type: body.Type})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	values := make(map[string]any, len(got))
	for k, e := range got {
		if e == nil {
			values[k] = nil
			continue
		}
		var v any = string(e.Value)
		if body.Type == "json" {
			v = json.RawMessage(e.Value)
		}
		if !body.WithMetadata {
			values[k] = v
			continue
		}
		meta := e.Metadata
		if meta == nil {
			meta = json.RawMessage("null")
		}
		values[k] = bulkGetValue{Value: v, Metadata: meta, Expiration: e.Expiration}
	}
	runtime.WriteResult(w, map[string]any{"values": values})
}
