package kv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/kv"
	"jobmatch-edge/runtime"
)

var now = start.Unix() // 1893456000

func TestPutValidation(t *testing.T) {
	_, ns, _ := mustOpen(t)
	big := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	meta := func(n int) json.RawMessage { return json.RawMessage(`"` + strings.Repeat("m", n-2) + `"`) }
	for _, tc := range []struct {
		name string
		key  string
		val  []byte
		o    runtime.KVPutOptions
		want wantErr
	}{
		{"empty key", "", nil, runtime.KVPutOptions{}, typeErr("Key name cannot be empty.")},
		{"dot", ".", nil, runtime.KVPutOptions{}, typeErr(`"." is not allowed as a key name.`)},
		{"dot dot", "..", nil, runtime.KVPutOptions{}, typeErr(`".." is not allowed as a key name.`)},
		{"513 bytes", strings.Repeat("k", 513), nil, runtime.KVPutOptions{},
			failedErr("PUT", 414, "UTF-8 encoded length of 513 exceeds key length limit of 512.")},
		{"513 bytes of three-byte runes", strings.Repeat("€", 171), nil, runtime.KVPutOptions{},
			failedErr("PUT", 414, "UTF-8 encoded length of 513 exceeds key length limit of 512.")},
		{"512 bytes", strings.Repeat("k", 512), []byte("v"), runtime.KVPutOptions{}, wantErr{}},
		{"ttl 30", "k", nil, runtime.KVPutOptions{ExpirationTTL: 30},
			failedErr("PUT", 400, "Invalid expiration_ttl of 30. Expiration TTL must be at least 60.")},
		{"ttl 59", "k", nil, runtime.KVPutOptions{ExpirationTTL: 59},
			failedErr("PUT", 400, "Invalid expiration_ttl of 59. Expiration TTL must be at least 60.")},
		{"ttl negative", "k", nil, runtime.KVPutOptions{ExpirationTTL: -1},
			failedErr("PUT", 400, "Invalid expiration_ttl of -1. Please specify integer greater than 0.")},
		{"ttl 60", "k", nil, runtime.KVPutOptions{ExpirationTTL: 60}, wantErr{}},
		{"ttl out of int32", "k", nil, runtime.KVPutOptions{ExpirationTTL: 1 << 31},
			typeErr("Value out of range. Must be between -2147483648 and 2147483647 (inclusive).")},
		{"expiration now", "k", nil, runtime.KVPutOptions{Expiration: now},
			failedErr("PUT", 400, fmt.Sprintf("Invalid expiration of %d. Please specify integer greater than the current number of seconds since the UNIX epoch.", now))},
		{"expiration in the past", "k", nil, runtime.KVPutOptions{Expiration: 1},
			failedErr("PUT", 400, "Invalid expiration of 1. Please specify integer greater than the current number of seconds since the UNIX epoch.")},
		{"expiration now+59", "k", nil, runtime.KVPutOptions{Expiration: now + 59},
			failedErr("PUT", 400, fmt.Sprintf("Invalid expiration of %d. Expiration times must be at least 60 seconds in the future.", now+59))},
		{"expiration now+60", "k", nil, runtime.KVPutOptions{Expiration: now + 60}, wantErr{}},
		{"expiration beyond int32", "k", nil, runtime.KVPutOptions{Expiration: 4102444800},
			typeErr("Value out of range. Must be between -2147483648 and 2147483647 (inclusive).")},
		{"ttl wins over a bad expiration", "k", nil, runtime.KVPutOptions{ExpirationTTL: 60, Expiration: 1}, wantErr{}},
		{"metadata 1025 bytes", "k", nil, runtime.KVPutOptions{Metadata: meta(1025)},
			failedErr("PUT", 413, "Metadata length of 1025 exceeds limit of 1024.")},
		{"metadata 1024 bytes", "k", nil, runtime.KVPutOptions{Metadata: meta(1024)}, wantErr{}},
		{"metadata measured compact", "k", nil, runtime.KVPutOptions{Metadata: json.RawMessage("{\n  \"a\": " + string(meta(1016)) + "\n}")}, wantErr{}},
		{"metadata not JSON", "k", nil, runtime.KVPutOptions{Metadata: json.RawMessage("{")},
			failedErr("PUT", 400, "Metadata is not valid JSON.")},
		{"value 25 MiB + 1", "k", big(kv.MaxValueBytes + 1), runtime.KVPutOptions{},
			failedErr("PUT", 413, "Value length of 26214401 exceeds limit of 26214400.")},
		{"value exactly 25 MiB", "k", big(kv.MaxValueBytes), runtime.KVPutOptions{}, wantErr{}},
		{"empty value", "k", []byte{}, runtime.KVPutOptions{}, wantErr{}},
		// Order: int32 conversion, key, TTL, expiration, metadata, value.
		{"range before key", "", nil, runtime.KVPutOptions{Expiration: 4102444800},
			typeErr("Value out of range. Must be between -2147483648 and 2147483647 (inclusive).")},
		{"key before ttl", strings.Repeat("k", 513), nil, runtime.KVPutOptions{ExpirationTTL: 30},
			failedErr("PUT", 414, "UTF-8 encoded length of 513 exceeds key length limit of 512.")},
		{"ttl before metadata", "k", nil, runtime.KVPutOptions{ExpirationTTL: 30, Metadata: meta(2000)},
			failedErr("PUT", 400, "Invalid expiration_ttl of 30. Expiration TTL must be at least 60.")},
		{"metadata before value", "k", big(kv.MaxValueBytes + 1), runtime.KVPutOptions{Metadata: meta(2000)},
			failedErr("PUT", 413, "Metadata length of 2000 exceeds limit of 1024.")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ns.Put(t.Context(), tc.key, tc.val, tc.o)
			checkErr(t, err, tc.want)
			if tc.want.text != "" {
				return
			}
			got, err := ns.Get(t.Context(), tc.key)
			must(t, err)
			if !bytes.Equal(got.Value, tc.val) {
				t.Errorf("read back %d bytes, want %d", len(got.Value), len(tc.val))
			}
		})
	}
}

func TestGetDeleteListValidation(t *testing.T) {
	_, ns, _ := mustOpen(t)
	long := strings.Repeat("k", 513)
	get := func(key string, o runtime.KVGetOptions) func(context.Context) error {
		return func(ctx context.Context) error { _, err := ns.GetWithOptions(ctx, key, o); return err }
	}
	list := func(o runtime.KVListOptions) func(context.Context) error {
		return func(ctx context.Context) error { _, err := ns.List(ctx, o); return err }
	}
	del := func(key string) func(context.Context) error {
		return func(ctx context.Context) error { return ns.Delete(ctx, key) }
	}
	for _, tc := range []struct {
		name string
		call func(context.Context) error
		want wantErr
	}{
		{"get empty", get("", runtime.KVGetOptions{}), typeErr("Key name cannot be empty.")},
		{"get dot", get(".", runtime.KVGetOptions{}), typeErr(`"." is not allowed as a key name.`)},
		{"get dot dot", get("..", runtime.KVGetOptions{}), typeErr(`".." is not allowed as a key name.`)},
		{"get 513 bytes", get(long, runtime.KVGetOptions{}), failedErr("GET", 414, "UTF-8 encoded length of 513 exceeds key length limit of 512.")},
		{"get cacheTtl 10", get("k", runtime.KVGetOptions{CacheTTL: 10}), failedErr("GET", 400, "Invalid cache_ttl of 10. Cache TTL must be at least 30.")},
		{"get key before cacheTtl", get("", runtime.KVGetOptions{CacheTTL: 10}), typeErr("Key name cannot be empty.")},
		{"get cacheTtl out of int32", get("", runtime.KVGetOptions{CacheTTL: 1 << 40}), typeErr("Value out of range. Must be between -2147483648 and 2147483647 (inclusive).")},
		{"get cacheTtl 30", get("k", runtime.KVGetOptions{CacheTTL: 30}), wantErr{text: "cf 10009: get: 'key not found'", status: 404, code: 10009, message: "get: 'key not found'"}},
		{"delete empty", del(""), typeErr("Key name cannot be empty.")},
		{"delete dot", del("."), typeErr(`"." is not allowed as a key name.`)},
		{"delete 513 bytes", del(long), failedErr("DELETE", 414, "UTF-8 encoded length of 513 exceeds key length limit of 512.")},
		{"delete missing key", del("missing"), wantErr{}},
		{"list limit 1001", list(runtime.KVListOptions{Limit: 1001}), failedErr("GET", 400, "Invalid key_count_limit of 1001. Please specify an integer less than 1000.")},
		{"list limit 1000", list(runtime.KVListOptions{Limit: 1000}), wantErr{}},
		{"list limit 0", list(runtime.KVListOptions{Limit: 0}), wantErr{}},
		{"list limit -1", list(runtime.KVListOptions{Limit: -1}), wantErr{}},
		{"list prefix 513 bytes", list(runtime.KVListOptions{Prefix: long}), failedErr("GET", 414, "UTF-8 encoded length of 513 exceeds key length limit of 512.")},
	} {
		t.Run(tc.name, func(t *testing.T) { checkErr(t, tc.call(t.Context()), tc.want) })
	}
}

func TestBulkGetValidation(t *testing.T) {
	_, ns, _ := mustOpen(t)
	must(t, ns.Put(t.Context(), "text", []byte("not json"), runtime.KVPutOptions{}))
	must(t, ns.Put(t.Context(), "json", []byte(`{"a":1}`), runtime.KVPutOptions{}))
	keys := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("k%d", i)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		keys []string
		o    runtime.KVBulkGetOptions
		want wantErr
	}{
		{"101 keys", keys(101), runtime.KVBulkGetOptions{}, failedErr("GET_BULK", 400, "You can request a maximum of 100 keys")},
		{"100 keys", keys(100), runtime.KVBulkGetOptions{}, wantErr{}},
		{"no keys", nil, runtime.KVBulkGetOptions{}, failedErr("GET_BULK", 400, "You must request a minimum of 1 key")},
		{"type arrayBuffer", []string{"k"}, runtime.KVBulkGetOptions{Type: "arrayBuffer"}, failedErr("GET_BULK", 400, `"arrayBuffer" is not a valid type. Use "json" or "text"`)},
		{"type stream", []string{"k"}, runtime.KVBulkGetOptions{Type: "stream"}, failedErr("GET_BULK", 400, `"stream" is not a valid type. Use "json" or "text"`)},
		{"empty key", []string{"a", ""}, runtime.KVBulkGetOptions{}, failedErr("GET_BULK", 400, "Key names must not be empty")},
		{"dot key", []string{"."}, runtime.KVBulkGetOptions{}, failedErr("GET_BULK", 400, `Illegal key name ".". Please use a different name.`)},
		{"long key", []string{strings.Repeat("k", 600)}, runtime.KVBulkGetOptions{}, failedErr("GET_BULK", 414, "UTF-8 encoded length of 600 exceeds key length limit of 512.")},
		{"cacheTtl 10", []string{"k"}, runtime.KVBulkGetOptions{CacheTTL: 10}, failedErr("GET_BULK", 400, "Invalid cache_ttl of 10. Cache TTL must be at least 30.")},
		{"json over a non-JSON value", []string{"json", "text"}, runtime.KVBulkGetOptions{Type: "json"},
			failedErr("GET_BULK", 400, "At least one of the requested keys corresponds to a non-json value")},
		{"json over JSON values", []string{"json", "missing"}, runtime.KVBulkGetOptions{Type: "json"}, wantErr{}},
		{"text over anything", []string{"json", "text"}, runtime.KVBulkGetOptions{Type: "text"}, wantErr{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ns.GetBulk(t.Context(), tc.keys, tc.o)
			checkErr(t, err, tc.want)
		})
	}
}

func TestBulkGetTotalSize(t *testing.T) {
	_, ns, _ := mustOpen(t, func(o *kv.Options) { o.Limits.MaxBulkGetBytes = 10 })
	must(t, ns.Put(t.Context(), "a", []byte("123456"), runtime.KVPutOptions{}))
	must(t, ns.Put(t.Context(), "b", []byte("12345"), runtime.KVPutOptions{}))
	_, err := ns.GetBulk(t.Context(), []string{"a"}, runtime.KVBulkGetOptions{})
	checkErr(t, err, wantErr{})
	_, err = ns.GetBulk(t.Context(), []string{"a", "b"}, runtime.KVBulkGetOptions{})
	checkErr(t, err, failedErr("GET_BULK", 413, "Total size of request exceeds the limit of 25MB"))
}

func TestBulkGet(t *testing.T) {
	_, ns, _ := mustOpen(t)
	ctx := t.Context()
	must(t, ns.Put(ctx, "a", []byte(`"A"`), runtime.KVPutOptions{Metadata: json.RawMessage(`{"m":1}`)}))
	must(t, ns.Put(ctx, "b", []byte(`2`), runtime.KVPutOptions{ExpirationTTL: 3600}))
	must(t, ns.Put(ctx, "empty", []byte{}, runtime.KVPutOptions{}))
	got, err := ns.GetBulk(ctx, []string{"a", "missing", "b", "a", "empty", "missing"}, runtime.KVBulkGetOptions{})
	must(t, err)
	want := map[string]*runtime.KVEntry{
		"a":       {Value: []byte(`"A"`), Metadata: json.RawMessage(`{"m":1}`)},
		"b":       {Value: []byte(`2`), Expiration: now + 3600},
		"empty":   {Value: []byte{}},
		"missing": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetBulk (-want +got):\n%s", diff)
	}
}

func TestTypedGets(t *testing.T) {
	_, ns, _ := mustOpen(t)
	ctx := t.Context()
	must(t, ns.Put(ctx, "doc", []byte(`{"embedding":[0.5,1]}`), runtime.KVPutOptions{Metadata: json.RawMessage(`{"model":"bge"}`)}))
	must(t, ns.Put(ctx, "text", []byte("héllo"), runtime.KVPutOptions{}))
	e, err := ns.Get(ctx, "doc")
	must(t, err)
	var doc struct{ Embedding []float64 }
	must(t, e.JSON(&doc))
	if diff := cmp.Diff([]float64{0.5, 1}, doc.Embedding); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	if string(e.Metadata) != `{"model":"bge"}` {
		t.Errorf("Metadata = %s", e.Metadata)
	}
	e, err = ns.Get(ctx, "text")
	must(t, err)
	if e.Text() != "héllo" {
		t.Errorf("Text = %q", e.Text())
	}
	streamed, err := io.ReadAll(e.Stream())
	must(t, err)
	if string(streamed) != "héllo" {
		t.Errorf("Stream = %q", streamed)
	}
	var syntax *json.SyntaxError
	if err := e.JSON(new(any)); !errors.As(err, &syntax) {
		t.Errorf("JSON of text: err = %v, want *json.SyntaxError", err)
	}
	if e.Metadata != nil {
		t.Errorf("Metadata of a pair without = %s, want nil", e.Metadata)
	}
}

func TestPutOverwritesEverything(t *testing.T) {
	_, ns, _ := mustOpen(t)
	ctx := t.Context()
	must(t, ns.Put(ctx, "k", []byte("one"), runtime.KVPutOptions{ExpirationTTL: 120, Metadata: json.RawMessage(`{"v":1}`)}))
	must(t, ns.Put(ctx, "k", []byte("two"), runtime.KVPutOptions{}))
	got, err := ns.Get(ctx, "k")
	must(t, err)
	if diff := cmp.Diff(runtime.KVEntry{Value: []byte("two")}, got); diff != "" {
		t.Errorf("after overwrite (-want +got):\n%s", diff)
	}
	must(t, ns.Put(ctx, "k", []byte("three"), runtime.KVPutOptions{Metadata: json.RawMessage(`null`)}))
	got, err = ns.Get(ctx, "k")
	must(t, err)
	if got.Metadata != nil {
		t.Errorf("metadata null stored as %s, want none", got.Metadata)
	}
}

func TestExpiryBoundary(t *testing.T) {
	for _, tc := range []struct {
		name    string
		o       runtime.KVPutOptions
		advance time.Duration
		visible bool
	}{
		{"ttl, just before", runtime.KVPutOptions{ExpirationTTL: 60}, 60*time.Second - time.Millisecond, true},
		{"ttl, at the boundary", runtime.KVPutOptions{ExpirationTTL: 60}, 60 * time.Second, false},
		{"ttl, after", runtime.KVPutOptions{ExpirationTTL: 60}, time.Hour, false},
		{"expiration, just before", runtime.KVPutOptions{Expiration: now + 90}, 90*time.Second - time.Nanosecond, true},
		{"expiration, at the boundary", runtime.KVPutOptions{Expiration: now + 90}, 90 * time.Second, false},
		{"never", runtime.KVPutOptions{}, 1000 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ns, clock := mustOpen(t)
			ctx := t.Context()
			must(t, ns.Put(ctx, "key", []byte("v"), tc.o))
			must(t, ns.Put(ctx, "big", bytes.Repeat([]byte("b"), 200<<10), tc.o))
			clock.Advance(tc.advance)
			for _, key := range []string{"key", "big"} {
				_, err := ns.Get(ctx, key)
				if tc.visible && err != nil {
					t.Errorf("Get(%s) = %v, want the value", key, err)
				}
				if !tc.visible && !errors.Is(err, runtime.ErrKVKeyNotFound) {
					t.Errorf("Get(%s) = %v, want ErrKVKeyNotFound", key, err)
				}
			}
			list, err := ns.List(ctx, runtime.KVListOptions{})
			must(t, err)
			if got := len(list.Keys) == 2; got != tc.visible {
				t.Errorf("List shows %d keys, want visible=%v", len(list.Keys), tc.visible)
			}
			bulk, err := ns.GetBulk(ctx, []string{"key"}, runtime.KVBulkGetOptions{})
			must(t, err)
			if got := bulk["key"] != nil; got != tc.visible {
				t.Errorf("GetBulk shows key = %v, want %v", got, tc.visible)
			}
			// Going back in time does not resurrect what was seen expired and dropped.
			if !tc.visible {
				clock.Set(start)
				if _, err := ns.Get(ctx, "key"); !errors.Is(err, runtime.ErrKVKeyNotFound) {
					t.Errorf("after rewinding the clock, Get = %v, want the pair deleted", err)
				}
			}
		})
	}
}

func TestListPaging(t *testing.T) {
	_, ns, _ := mustOpen(t)
	ctx := t.Context()
	var want []string
	for i := range 2500 {
		k := fmt.Sprintf("page:%04d", i)
		want = append(want, k)
		must(t, ns.Put(ctx, k, []byte("v"), runtime.KVPutOptions{}))
	}
	must(t, ns.Put(ctx, "other", []byte("v"), runtime.KVPutOptions{}))
	for _, tc := range []struct {
		limit     int
		wantPages int
	}{{1000, 3}, {7, 358}, {0, 3}} {
		t.Run(fmt.Sprintf("limit %d", tc.limit), func(t *testing.T) {
			var got []string
			cursor, pages := "", 0
			for {
				res, err := ns.List(ctx, runtime.KVListOptions{Prefix: "page:", Limit: tc.limit, Cursor: cursor})
				must(t, err)
				pages++
				for _, k := range res.Keys {
					got = append(got, k.Name)
				}
				if res.ListComplete {
					if res.Cursor != "" {
						t.Errorf("complete page carries cursor %q", res.Cursor)
					}
					break
				}
				if res.Cursor == "" {
					t.Fatalf("page %d incomplete without a cursor", pages)
				}
				cursor = res.Cursor
			}
			if pages != tc.wantPages {
				t.Errorf("pages = %d, want %d", pages, tc.wantPages)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListCursorSeesLaterInserts(t *testing.T) {
	_, ns, _ := mustOpen(t)
	ctx := t.Context()
	for _, k := range []string{"a", "c", "e"} {
		must(t, ns.Put(ctx, k, nil, runtime.KVPutOptions{}))
	}
	first, err := ns.List(ctx, runtime.KVListOptions{Limit: 1})
	must(t, err)
	if first.Cursor != "YQ==" { // base64("a")
		t.Errorf("cursor = %q, want base64 of the last key", first.Cursor)
	}
	must(t, ns.Put(ctx, "b", nil, runtime.KVPutOptions{}))
	rest, err := ns.List(ctx, runtime.KVListOptions{Cursor: first.Cursor})
	must(t, err)
	want := []runtime.KVKey{{Name: "b"}, {Name: "c"}, {Name: "e"}}
	if diff := cmp.Diff(want, rest.Keys); diff != "" {
		t.Errorf("after the cursor (-want +got):\n%s", diff)
	}
}

func TestListOrderAndShape(t *testing.T) {
	_, ns, _ := mustOpen(t)
	ctx := t.Context()
	keys := []string{"b", "B", "a", "A", "Z", "z", "é", "e", "ß", "日本", "😀", "a\x00b", "a b", "~", "0", "É"}
	for _, k := range keys {
		must(t, ns.Put(ctx, k, []byte("v"), runtime.KVPutOptions{}))
	}
	must(t, ns.Put(ctx, "with-meta", nil, runtime.KVPutOptions{ExpirationTTL: 600, Metadata: json.RawMessage(`{"x": [1, 2]}`)}))
	want := append([]string{"with-meta"}, keys...)
	sort.Strings(want) // Go compares strings bytewise: UTF-8 byte order
	res, err := ns.List(ctx, runtime.KVListOptions{})
	must(t, err)
	var got []string
	for _, k := range res.Keys {
		got = append(got, k.Name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	raw, err := json.Marshal(res)
	must(t, err)
	for _, part := range []string{`{"name":"A"}`, `{"name":"with-meta","expiration":1893456600,"metadata":{"x":[1,2]}}`, `"list_complete":true,"cacheStatus":null}`} {
		if !strings.Contains(string(raw), part) {
			t.Errorf("list JSON %s\nlacks %s", raw, part)
		}
	}
	if strings.Contains(string(raw), `"cursor"`) {
		t.Errorf("complete list JSON has a cursor: %s", raw)
	}
}

func TestListCursorGarbage(t *testing.T) {
	_, ns, _ := mustOpen(t)
	must(t, ns.Put(t.Context(), "k", nil, runtime.KVPutOptions{}))
	for _, cursor := range []string{"garbage", "!!!", "////"} {
		t.Run(cursor, func(t *testing.T) {
			res, err := ns.List(t.Context(), runtime.KVListOptions{Cursor: cursor})
			must(t, err)
			if len(res.Keys) != 0 || !res.ListComplete || res.Cursor != "" {
				t.Errorf("List(cursor %q) = %+v, want an empty complete list", cursor, res)
			}
		})
	}
}

func TestLargeValues(t *testing.T) {
	for _, mode := range []struct {
		name string
		opt  func(*kv.Options)
	}{
		{"disk", func(*kv.Options) {}},
		{"in-memory", func(o *kv.Options) { o.Dir, o.InMemory = "", true }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			_, ns, _ := mustOpen(t, mode.opt)
			ctx := t.Context()
			val := make([]byte, kv.MaxValueBytes)
			for i := range val {
				val[i] = byte(i * 7)
			}
			must(t, ns.Put(ctx, "big", val, runtime.KVPutOptions{Metadata: json.RawMessage(`{"size":"25MiB"}`)}))
			got, err := ns.Get(ctx, "big")
			must(t, err)
			if !bytes.Equal(got.Value, val) || string(got.Metadata) != `{"size":"25MiB"}` {
				t.Fatalf("read back %d bytes, metadata %s", len(got.Value), got.Metadata)
			}
			list, err := ns.List(ctx, runtime.KVListOptions{})
			must(t, err)
			if diff := cmp.Diff([]runtime.KVKey{{Name: "big", Metadata: json.RawMessage(`{"size":"25MiB"}`)}}, list.Keys); diff != "" {
				t.Errorf("list (-want +got):\n%s", diff)
			}
			must(t, ns.Put(ctx, "big", []byte("small now"), runtime.KVPutOptions{}))
			got, err = ns.Get(ctx, "big")
			must(t, err)
			if string(got.Value) != "small now" {
				t.Errorf("after overwrite: %q", got.Value)
			}
			if n := kv.ChunkCount(t, ns); n != 0 {
				t.Errorf("%d chunks left after the overwrite", n)
			}
			must(t, ns.Put(ctx, "big", val[:300<<10], runtime.KVPutOptions{}))
			must(t, ns.Delete(ctx, "big"))
			if n := kv.ChunkCount(t, ns); n != 0 {
				t.Errorf("%d chunks left after delete", n)
			}
		})
	}
}

func TestConcurrentPutGet(t *testing.T) {
	_, ns, _ := mustOpen(t)
	ctx := t.Context()
	const workers, perWorker = 32, 100
	var (
		mu    sync.Mutex
		acked = map[string]string{}
		wg    sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				own := fmt.Sprintf("w%02d/%03d", w, i)
				val := fmt.Sprintf("%d-%d", w, i)
				if err := ns.Put(ctx, own, []byte(val), runtime.KVPutOptions{}); err != nil {
					t.Errorf("Put %s: %v", own, err)
					return
				}
				mu.Lock()
				acked[own] = val
				mu.Unlock()
				// Everyone also hammers a few shared keys, large ones included.
				shared := fmt.Sprintf("shared/%d", i%4)
				v := []byte(val)
				if i%4 == 3 {
					v = bytes.Repeat(v, 20000)
				}
				if err := ns.Put(ctx, shared, v, runtime.KVPutOptions{}); err != nil {
					t.Errorf("Put %s: %v", shared, err)
					return
				}
				got, err := ns.Get(ctx, own)
				if err != nil || string(got.Value) != val {
					t.Errorf("Get %s right after its Put = %q, %v", own, got.Value, err)
					return
				}
				if _, err := ns.Get(ctx, shared); err != nil {
					t.Errorf("Get %s: %v", shared, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for k, v := range acked {
		got, err := ns.Get(ctx, k)
		if err != nil || string(got.Value) != v {
			t.Errorf("acknowledged %s=%s, read %q, %v", k, v, got.Value, err)
		}
	}
	if len(acked) != workers*perWorker {
		t.Errorf("%d writes acknowledged, want %d", len(acked), workers*perWorker)
	}
	// Only the chunks of the last large value written to shared/3 remain:
	// the racing writers' chunks were dropped when they were replaced.
	last, err := ns.Get(ctx, "shared/3")
	must(t, err)
	if n, want := kv.ChunkCount(t, ns), (len(last.Value)+65535)/65536; n != want {
		t.Errorf("chunks = %d, want %d (for %d bytes)", n, want, len(last.Value))
	}
}

func TestDeletedNamespace(t *testing.T) {
	svc, ns, _ := mustOpen(t)
	ctx := t.Context()
	must(t, ns.Put(ctx, "k", []byte("v"), runtime.KVPutOptions{}))
	must(t, svc.DeleteNamespace(ctx, testNS))
	checkErr(t, ns.Put(ctx, "k", []byte("v"), runtime.KVPutOptions{}), wantErr{
		text: "KV PUT failed: 404 put: 'namespace not found'", status: 404, code: 10013, message: "put: 'namespace not found'"})
	_, err := ns.Get(ctx, "k")
	checkErr(t, err, wantErr{text: "KV GET failed: 404 get: 'namespace not found'", status: 404, code: 10013, message: "get: 'namespace not found'"})
	_, err = ns.List(ctx, runtime.KVListOptions{})
	checkErr(t, err, wantErr{text: "KV GET failed: 404 list keys: 'namespace not found'", status: 404, code: 10013, message: "list keys: 'namespace not found'"})
	// Recreated with the same id (a restart with the same config), it is empty.
	ns2, err := svc.EnsureNamespace(testNS, "TEST")
	must(t, err)
	if _, err := ns2.Get(ctx, "k"); !errors.Is(err, runtime.ErrKVKeyNotFound) {
		t.Errorf("Get in the recreated namespace = %v, want not found", err)
	}
}

func TestNamespacesIsolated(t *testing.T) {
	svc, a, _ := mustOpen(t)
	ctx := t.Context()
	// An id that is a prefix of the other must not see its keys.
	b, err := svc.EnsureNamespace(testNS[:31], "SHORT")
	must(t, err)
	must(t, a.Put(ctx, "k", []byte("a"), runtime.KVPutOptions{}))
	must(t, b.Put(ctx, "k", []byte("b"), runtime.KVPutOptions{}))
	for _, tc := range []struct {
		ns   *kv.Namespace
		want string
	}{{a, "a"}, {b, "b"}} {
		got, err := tc.ns.Get(ctx, "k")
		must(t, err)
		list, err := tc.ns.List(ctx, runtime.KVListOptions{})
		must(t, err)
		if string(got.Value) != tc.want || len(list.Keys) != 1 {
			t.Errorf("namespace %s: value %q, %d keys", tc.ns.ID(), got.Value, len(list.Keys))
		}
	}
}

func TestCatalog(t *testing.T) {
	svc, _, _ := mustOpen(t)
	if _, err := svc.EnsureNamespace("bad\x00id", "X"); err == nil {
		t.Error("EnsureNamespace accepted an id with NUL")
	}
	info, err := svc.CreateNamespace("Mine")
	must(t, err)
	_, err = svc.CreateNamespace("Mine")
	checkErr(t, err, wantErr{text: "cf 10014: a namespace with this account ID and title already exists", status: 400, code: 10014, message: "a namespace with this account ID and title already exists"})
	_, err = svc.CreateNamespace("")
	checkErr(t, err, wantErr{text: "cf 10019: request is missing a title definition", status: 400, code: 10019, message: "request is missing a title definition"})
	_, err = svc.RenameNamespace(info.ID, "TEST")
	checkErr(t, err, wantErr{text: "cf 10014: a namespace with this account ID and title already exists", status: 400, code: 10014, message: "a namespace with this account ID and title already exists"})
	renamed, err := svc.RenameNamespace(info.ID, "Renamed")
	must(t, err)
	want := []kv.NamespaceInfo{
		{ID: info.ID, Title: "Renamed", SupportsURLEncoding: true},
		{ID: testNS, Title: "TEST", SupportsURLEncoding: true},
	}
	if diff := cmp.Diff(want, svc.Namespaces()); diff != "" || renamed != want[0] {
		t.Errorf("namespaces (-want +got):\n%s", diff)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	clock := runtime.NewFakeClock(start)
	svc, err := kv.Open(kv.Options{Dir: dir, Clock: clock, Sync: true})
	must(t, err)
	ns, err := svc.EnsureNamespace(testNS, "TEST")
	must(t, err)
	created, err := svc.CreateNamespace("Created")
	must(t, err)
	_, err = svc.RenameNamespace(testNS, "Renamed")
	must(t, err)
	must(t, ns.Put(t.Context(), "big", bytes.Repeat([]byte("z"), 1<<20), runtime.KVPutOptions{ExpirationTTL: 600}))
	must(t, svc.Close())
	must(t, svc.Close()) // idempotent
	if _, err := ns.Get(t.Context(), "big"); !errors.Is(err, kv.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}

	svc, err = kv.Open(kv.Options{Dir: dir, Clock: clock})
	must(t, err)
	defer svc.Close()
	ns, err = svc.EnsureNamespace(testNS, "TEST") // the config title does not undo a rename
	must(t, err)
	want := []kv.NamespaceInfo{{ID: created.ID, Title: "Created", SupportsURLEncoding: true}, {ID: testNS, Title: "Renamed", SupportsURLEncoding: true}}
	if diff := cmp.Diff(want, svc.Namespaces()); diff != "" {
		t.Errorf("namespaces after reopen (-want +got):\n%s", diff)
	}
	got, err := ns.Get(t.Context(), "big")
	must(t, err)
	if len(got.Value) != 1<<20 || got.Expiration != now+600 {
		t.Errorf("big after reopen: %d bytes, expiration %d", len(got.Value), got.Expiration)
	}
}
