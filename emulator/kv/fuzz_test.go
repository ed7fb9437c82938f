package kv_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/runtime"
)

// FuzzKVKeyAndOptions puts, reads, lists and deletes arbitrary keys with
// arbitrary query strings (expiration, expiration_ttl, limit, prefix,
// cursor...) over the REST API, and the same keys and options through the
// binding: nothing panics or answers 500 (or redirects), every REST
// refusal is a v4 envelope, and every binding refusal a *runtime.KVError.
func FuzzKVKeyAndOptions(f *testing.F) {
	for _, seed := range []struct {
		key, query string
		raw        bool
		value      []byte
		ttl, exp   int64
	}{
		{"k", "expiration_ttl=60", false, []byte("v"), 60, 0},
		{"a/../c", "expiration_ttl=60.5", true, nil, 0, 0},
		{"a/../c", "expiration=99999999999999999999", false, []byte("v"), 0, 1 << 40},
		{"", "", false, nil, -1, -1},
		{".", "limit=1001&cursor=%zz", false, nil, 0, 0},
		{"..", "prefix=%00&limit=-1", true, nil, 0, 0},
		{"日本 語?#", "expiration=1893456060&expiration_ttl=abc", false, []byte{0xff}, 1 << 31, 1893456060},
		{"//x", "cursor=YQ", true, []byte("v"), 0, 0},
	} {
		f.Add(seed.key, seed.query, seed.raw, seed.value, seed.ttl, seed.exp)
	}
	emu := emulatortest.New(f, emulatortest.WithInMemory())
	h := emu.Handler()
	ns := emu.Env.KV["RATE_LIMITS"]
	base := emu.AccountURL() + nsBase + "/" + rateLimits
	f.Fuzz(func(t *testing.T, key, query string, raw bool, value []byte, ttl, exp int64) {
		path := url.PathEscape(key)
		if raw {
			path = key // as a careless client sends it
		}
		for _, r := range []struct {
			method, url string
			body        []byte
		}{
			{"PUT", base + "/values/" + path + "?" + query, value},
			{"GET", base + "/values/" + path + "?" + query, nil},
			{"GET", base + "/metadata/" + path, nil},
			{"GET", base + "/keys?" + query, nil},
			{"GET", base + "/keys?prefix=" + url.QueryEscape(key), nil},
			{"DELETE", base + "/values/" + path, nil},
		} {
			req, err := http.NewRequest(r.method, r.url, bytes.NewReader(r.body))
			if err != nil {
				continue // not a request a client can send
			}
			req.RequestURI = req.URL.RequestURI()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 300 {
				emulatortest.CheckV4Error(t, rec.Code, rec.Header(), rec.Body.Bytes())
			}
		}

		ctx := t.Context()
		for _, err := range []error{
			ns.Put(ctx, key, value, runtime.KVPutOptions{ExpirationTTL: ttl, Expiration: exp}),
			second(ns.Get(ctx, key)),
			second(ns.List(ctx, runtime.KVListOptions{Prefix: key, Limit: int(ttl), Cursor: query})),
			ns.Delete(ctx, key),
		} {
			var kvErr *runtime.KVError
			if err != nil && !errors.Is(err, runtime.ErrKVKeyNotFound) && !errors.As(err, &kvErr) {
				t.Fatalf("binding error %T %v for key %q, ttl %d, expiration %d", err, err, key, ttl, exp)
			}
		}
	})
}

func second[T any](_ T, err error) error { return err }
