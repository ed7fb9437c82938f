package gateway

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// Log is one gateway log record, with the fields of Cloudflare's getLog
// (cloudflare-semantics.md §5.5).
type Log struct {
	ID                   string          `json:"id"`
	Provider             string          `json:"provider"`
	Model                string          `json:"model"`
	ModelType            string          `json:"model_type"`
	Path                 string          `json:"path"`
	Duration             int64           `json:"duration"` // milliseconds, by the injected clock
	RequestType          string          `json:"request_type"`
	RequestContentType   string          `json:"request_content_type"`
	StatusCode           int             `json:"status_code"`
	ResponseContentType  string          `json:"response_content_type"`
	Success              bool            `json:"success"`
	Cached               bool            `json:"cached"`
	TokensIn             int             `json:"tokens_in"`
	TokensOut            int             `json:"tokens_out"`
	Metadata             json.RawMessage `json:"metadata"`
	Step                 int             `json:"step"`
	Cost                 float64         `json:"cost"`
	CustomCost           bool            `json:"custom_cost"`
	RequestSize          int             `json:"request_size"`
	RequestHead          string          `json:"request_head"`
	RequestHeadComplete  bool            `json:"request_head_complete"`
	ResponseSize         int             `json:"response_size"`
	ResponseHead         string          `json:"response_head"`
	ResponseHeadComplete bool            `json:"response_head_complete"`
	CreatedAt            time.Time       `json:"created_at"`

	// Gateway is the gateway id the request went through (not in getLog,
	// whose records are per gateway already).
	Gateway string `json:"gateway"`
}

// Counters are the gateway's running totals.
type Counters struct {
	Requests int64 `json:"requests"`
	Hits     int64 `json:"hits"`   // answered from the cache
	Misses   int64 `json:"misses"` // answered by the provider
	Errors   int64 `json:"errors"` // status >= 400 (gateway or provider)
	// TokensIn and TokensOut count the tokens providers were paid for
	// (misses only).
	TokensIn  int64 `json:"tokens_in"`
	TokensOut int64 `json:"tokens_out"`
	// TokensSaved counts tokens (in + out) that cache hits did not send to
	// a provider again; CostSaved is their estimated price.
	TokensSaved int64   `json:"tokens_saved"`
	Cost        float64 `json:"cost_usd"`
	CostSaved   float64 `json:"cost_saved_usd"`
}

// journal keeps the last N log records and the counters, per gateway and
// in total.
type journal struct {
	mu    sync.Mutex
	ring  []*Log
	next  int
	full  bool
	total Counters
	perGW map[string]*Counters
}

func newJournal(size int) *journal {
	if size <= 0 {
		size = DefaultLogRecords
	}
	return &journal{ring: make([]*Log, size), perGW: map[string]*Counters{}}
}

// outcome is what the journal needs besides the log record.
type outcome struct {
	keep   bool    // keep the record (false: cf-aig-collect-log: false)
	served bool    // a provider answered (a MISS)
	cost   float64 // estimated price of a provider answer
	saved  float64 // estimated price a cache hit saved
}

// record adds a finished request.
func (j *journal) record(l *Log, o outcome) {
	j.mu.Lock()
	defer j.mu.Unlock()
	gw := j.perGW[l.Gateway]
	if gw == nil {
		gw = &Counters{}
		j.perGW[l.Gateway] = gw
	}
	for _, c := range []*Counters{&j.total, gw} {
		c.Requests++
		if l.StatusCode >= 400 {
			c.Errors++
		}
		switch {
		case l.Cached:
			c.Hits++
			c.TokensSaved += int64(l.TokensIn + l.TokensOut)
			c.CostSaved += o.saved
		case o.served:
			c.Misses++
			c.TokensIn += int64(l.TokensIn)
			c.TokensOut += int64(l.TokensOut)
			c.Cost += o.cost
		}
	}
	if !o.keep {
		return
	}
	j.ring[j.next] = l
	j.next++
	if j.next == len(j.ring) {
		j.next, j.full = 0, true
	}
}

// recent returns up to limit records, newest first, optionally for one gateway.
func (j *journal) recent(limit int, gatewayID string) []*Log {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []*Log{}
	n := j.next
	if j.full {
		n = len(j.ring)
	}
	for i := range n {
		l := j.ring[(j.next-1-i+len(j.ring))%len(j.ring)]
		if gatewayID != "" && l.Gateway != gatewayID {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, l)
	}
	return out
}

// get returns the record with id, if still in the ring.
func (j *journal) get(id string) (*Log, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, l := range j.ring {
		if l != nil && l.ID == id {
			return l, true
		}
	}
	return nil, false
}

func (j *journal) counters() (Counters, map[string]Counters) {
	j.mu.Lock()
	defer j.mu.Unlock()
	per := make(map[string]Counters, len(j.perGW))
	for k, v := range j.perGW {
		per[k] = *v
	}
	return j.total, per
}

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	In  float64 `json:"usd_per_million_in"`
	Out float64 `json:"usd_per_million_out"`
}

// DefaultPrices is the table the cost estimates use. Differs from
// Cloudflare: the real gateway prices from the providers' live price lists;
// these are list prices assumed for estimates only (recorded in
// docs/DEVIATIONS.md). A model missing here costs 0.
var DefaultPrices = map[string]Price{
	"gpt-4o-mini":                              {In: 0.15, Out: 0.60},
	"gpt-4o":                                   {In: 2.50, Out: 10.00},
	"gpt-4.1-mini":                             {In: 0.40, Out: 1.60},
	"gpt-4.1":                                  {In: 2.00, Out: 8.00},
	"text-embedding-3-small":                   {In: 0.02},
	"text-embedding-3-large":                   {In: 0.13},
	"@cf/meta/llama-3.1-8b-instruct":           {In: 0.282, Out: 0.827},
	"@cf/meta/llama-3.1-8b-instruct-fast":      {In: 0.045, Out: 0.384},
	"@cf/meta/llama-3-8b-instruct":             {In: 0.282, Out: 0.827},
	"@cf/mistral/mistral-7b-instruct-v0.1":     {In: 0.110, Out: 0.190},
	"@cf/meta/llama-3.3-70b-instruct-fp8-fast": {In: 0.293, Out: 2.253},
	"@cf/baai/bge-small-en-v1.5":               {In: 0.020},
	"@cf/baai/bge-base-en-v1.5":                {In: 0.067},
	"@cf/baai/bge-large-en-v1.5":               {In: 0.204},
}

// cost prices tokens of model with the table; a dated model name
// ("gpt-4o-mini-2024-07-18") falls back to its longest priced prefix.
func cost(prices map[string]Price, model string, in, out int) float64 {
	p, ok := prices[model]
	if !ok {
		best := ""
		for name := range prices {
			if strings.HasPrefix(model, name+"-") && len(name) > len(best) {
				best = name
			}
		}
		if best == "" {
			return 0
		}
		p = prices[best]
	}
	return (float64(in)*p.In + float64(out)*p.Out) / 1e6
}

// newLogID returns a ULID (48-bit millisecond time from the clock, 80
// random bits, Crockford base32), the form Cloudflare's log ids take.
func newLogID(now time.Time) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	// 128 bits -> 26 characters of 5 bits, the first carrying 3 bits.
	var out [26]byte
	var acc uint64
	bits := 0
	pos := 25
	for i := 15; i >= 0; i-- {
		acc |= uint64(b[i]) << bits
		bits += 8
		for bits >= 5 && pos >= 0 {
			out[pos] = alphabet[acc&31]
			acc >>= 5
			bits -= 5
			pos--
		}
	}
	if pos >= 0 {
		out[pos] = alphabet[acc&31]
	}
	return string(out[:])
}
