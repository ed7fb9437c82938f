package vectorize

import (
	"context"
	"math"
	"slices"
	"strings"

	"jobmatch-edge/runtime"
)

// queryPlan is a validated query.
type queryPlan struct {
	topK         int
	namespace    string
	returnValues bool
	metadata     string
	filter       filter
}

// plan validates query options in the order the binding does: the
// returnMetadata option (checked by the Worker runtime itself), then topK,
// then the filter.
func (x *Index) plan(o runtime.VectorizeQueryOptions) (queryPlan, error) {
	lim := x.svc.limits
	p := queryPlan{topK: o.TopK, namespace: o.Namespace, returnValues: o.ReturnValues, metadata: o.ReturnMetadata}
	switch p.metadata {
	case "":
		p.metadata = runtime.VectorizeMetadataNone
	case runtime.VectorizeMetadataNone, runtime.VectorizeMetadataIndexed, runtime.VectorizeMetadataAll:
	default:
		return p, ErrReturnMetadata.Withf("Invalid returnMetadata option. Expected: true, false, \"none\", \"indexed\" or \"all\"; got: %s", p.metadata)
	}
	switch {
	case p.topK == 0: // not given
		p.topK = lim.DefaultTopK
	case p.topK < 0:
		return p, errTopKTooSmall(p.topK)
	}
	if p.returnValues || p.metadata == runtime.VectorizeMetadataAll {
		if p.topK > lim.MaxTopKWithValues {
			return p, opError(opQuery, runtime.CodeVectorizeTopK, "with returnValues=true or returnMetadata=all, max top K is %d, but got %d; for a top K up to %d, retry with returnValues=false and returnMetadata=indexed", lim.MaxTopKWithValues, p.topK, lim.MaxTopK)
		}
	} else if p.topK > lim.MaxTopK {
		return p, opError(opQuery, runtime.CodeVectorizeTopK, "max top K is %d, but got %d", lim.MaxTopK, p.topK)
	}
	f, err := compileFilter(o.Filter, lim)
	if err != nil {
		return p, err
	}
	p.filter = f
	return p, nil
}

// errTopKTooSmall refuses a topK below 1.
// Differs from Cloudflare: no recorded text; worded like the recorded
// "max top K is 100, but got 101", with the same code.
func errTopKTooSmall(topK int) error {
	return opError(opQuery, runtime.CodeVectorizeTopK, "min top K is 1, but got %d", topK)
}

// ErrReturnMetadata is the binding's refusal of a returnMetadata value
// other than "none", "indexed" or "all". In a Worker it is a TypeError
// thrown before any request; here it carries the REST parse code.
var ErrReturnMetadata = &runtime.Error{Status: 400, Code: runtime.CodeVectorizeParseQuery}

// Query returns the topK vectors nearest to vector among those in the
// namespace (when given) that pass the filter, best first.
func (x *Index) Query(ctx context.Context, vector []float32, o runtime.VectorizeQueryOptions) (runtime.VectorizeMatches, error) {
	p, err := x.plan(o)
	if err != nil {
		return runtime.VectorizeMatches{}, err
	}
	if len(vector) != x.config.Dimensions {
		return runtime.VectorizeMatches{}, opError(opQuery, runtime.CodeVectorizeQueryDimensions, "invalid query vector, expected %d dimensions, and got %d dimensions", x.config.Dimensions, len(vector))
	}
	for _, f := range vector {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return runtime.VectorizeMatches{}, opError(opQuery, runtime.CodeVectorizeParseQuery, "invalid query vector: values must be finite numbers")
		}
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return runtime.VectorizeMatches{}, errIndexNotFound(x.name)
	}
	return x.search(vector, p), nil
}

// QueryByID queries with the stored values of id. A missing id gives no
// matches.
func (x *Index) QueryByID(ctx context.Context, id string, o runtime.VectorizeQueryOptions) (runtime.VectorizeMatches, error) {
	p, err := x.plan(o)
	if err != nil {
		return runtime.VectorizeMatches{}, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return runtime.VectorizeMatches{}, errIndexNotFound(x.name)
	}
	slot, ok := x.slots[id]
	if !ok {
		return runtime.VectorizeMatches{Matches: []runtime.VectorizeMatch{}}, nil
	}
	return x.search(x.values(slot), p), nil
}

// candidate is a slot and how good it is (higher is better).
type candidate struct {
	slot int
	good float32
}

// topHeap keeps the k best candidates seen, worst at [0].
type topHeap []candidate

func (h topHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].good < h[l].good {
			m = r
		}
		if h[i].good <= h[m].good {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h topHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].good <= h[i].good {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// search scans every slot: namespace first, then the metadata filter, then
// the score, keeping the topK best. The winners are scored again exactly in
// float64 and sorted. Callers hold x.mu (read).
func (x *Index) search(q []float32, p queryPlan) runtime.VectorizeMatches {
	metric := x.config.Metric
	var qq float32
	if metric == MetricEuclidean {
		qq = dot(q, q)
	}
	h := make(topHeap, 0, p.topK)
	d := x.config.Dimensions
	for i := range x.recs {
		r := &x.recs[i]
		if p.namespace != "" && r.namespace != p.namespace {
			continue
		}
		if p.filter != nil && !p.filter.match(r.indexed) {
			continue
		}
		dp := dot(q, x.slab[i*d:(i+1)*d:(i+1)*d])
		var good float32
		switch metric {
		case MetricCosine:
			// The query's norm is the same for every slot: leave it out.
			if n := x.norms[i]; n > 0 {
				good = dp / n
			}
		case MetricEuclidean:
			good = -(qq + x.norms[i] - 2*dp) // minus the squared distance
		default:
			good = dp
		}
		if len(h) < p.topK {
			h = append(h, candidate{i, good})
			h.up(len(h) - 1)
		} else if good > h[0].good {
			h[0] = candidate{i, good}
			h.down(0)
		}
	}

	matches := make([]runtime.VectorizeMatch, len(h))
	for j, c := range h {
		r := &x.recs[c.slot]
		m := runtime.VectorizeMatch{ID: r.id, Score: exactScore(metric, q, x.values(c.slot)), Namespace: r.namespace}
		if p.returnValues {
			m.Values = slices.Clone(x.values(c.slot))
		}
		switch p.metadata {
		case runtime.VectorizeMetadataAll:
			m.Metadata = decodeMetadata(r.metadata)
		case runtime.VectorizeMetadataIndexed:
			m.Metadata = nestSnapshot(r.indexed)
		}
		matches[j] = m
	}
	higherBetter := metric == MetricCosine
	slices.SortFunc(matches, func(a, b runtime.VectorizeMatch) int {
		if a.Score != b.Score {
			if (a.Score > b.Score) == higherBetter {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return runtime.VectorizeMatches{Count: len(matches), Matches: matches}
}

// exactScore is the score Vectorize reports, computed in float64:
// cosine similarity (higher is better), euclidean distance (lower is
// better), or the negative dot product (lower is better).
func exactScore(metric string, q, v []float32) float64 {
	var dp, qq, vv, dd float64
	for i, a := range q {
		b := float64(v[i])
		fa := float64(a)
		dp += fa * b
		qq += fa * fa
		vv += b * b
		dd += (fa - b) * (fa - b)
	}
	switch metric {
	case MetricCosine:
		if qq == 0 || vv == 0 {
			return 0
		}
		return dp / (math.Sqrt(qq) * math.Sqrt(vv))
	case MetricEuclidean:
		return math.Sqrt(dd)
	}
	return -dp
}
