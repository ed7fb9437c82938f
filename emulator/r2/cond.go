package r2

import (
	"strings"
	"time"

	"jobmatch-edge/runtime"
)

// etagCond is one entry of a parsed etag condition.
type etagCond struct {
	wildcard bool
	weak     bool
	value    string
}

// parseEtags reads an etag condition: in header syntax a comma-separated
// list of quoted tags (W/ for weak) or "*"; otherwise one bare etag or "*".
func parseEtags(s string, header bool, which string) ([]etagCond, error) {
	if s == "" {
		return nil, nil
	}
	if !header {
		if s == "*" {
			return []etagCond{{wildcard: true}}, nil
		}
		if len(s) >= 2 && strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
			return nil, runtime.NewR2TypeError("Conditional ETag should not be wrapped in quotes (%s).", s)
		}
		return []etagCond{{value: s}}, nil
	}
	var out []etagCond
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if item == "*" {
			out = append(out, etagCond{wildcard: true})
			continue
		}
		weak := false
		if rest, ok := strings.CutPrefix(item, "W/"); ok {
			weak, item = true, rest
		}
		if len(item) < 2 || item[0] != '"' || item[len(item)-1] != '"' {
			return nil, &runtime.R2ArgumentError{Kind: "Error", Message: "Invalid ETag in " + which + " header"}
		}
		out = append(out, etagCond{weak: weak, value: item[1 : len(item)-1]})
	}
	return out, nil
}

// condition is an R2Conditional ready to test.
type condition struct {
	matches, doesNotMatch  []etagCond
	before, after          time.Time
	seconds                bool
	hasMatch, hasNoneMatch bool
}

func compileCondition(c *runtime.R2Conditional) (*condition, error) {
	if c.IsZero() {
		return nil, nil
	}
	m, err := parseEtags(c.EtagMatches, c.Header, "if-match")
	if err != nil {
		return nil, err
	}
	n, err := parseEtags(c.EtagDoesNotMatch, c.Header, "if-none-match")
	if err != nil {
		return nil, err
	}
	return &condition{
		matches: m, doesNotMatch: n, before: c.UploadedBefore, after: c.UploadedAfter,
		seconds: c.SecondsGranularity, hasMatch: len(m) > 0, hasNoneMatch: len(n) > 0,
	}, nil
}

// failure says which kind of condition failed, for the S3 status.
type failure int

const (
	passed      failure = iota
	failedMatch         // If-Match or If-Unmodified-Since: 412
	notModified         // If-None-Match or If-Modified-Since: 304 on GET/HEAD
)

// test applies the RFC 7232 rules to an object with etag and uploaded, or
// to a missing object when exists is false (only etagMatches and
// uploadedAfter fail then).
func (c *condition) test(exists bool, etag string, uploaded time.Time) failure {
	if c == nil {
		return passed
	}
	if !exists {
		if c.hasMatch {
			return failedMatch
		}
		if !c.after.IsZero() {
			return notModified
		}
		return passed
	}
	up, before, after := uploaded, c.before, c.after
	if c.seconds {
		up, before, after = up.Truncate(time.Second), before.Truncate(time.Second), after.Truncate(time.Second)
	}
	matchPassed, noneMatchPassed := false, false
	if c.hasMatch {
		if !anyEtag(c.matches, etag, true) {
			return failedMatch
		}
		matchPassed = true
	}
	if c.hasNoneMatch {
		if anyEtag(c.doesNotMatch, etag, false) {
			return notModified
		}
		noneMatchPassed = true
	}
	if !before.IsZero() && !matchPassed && !up.Before(before) {
		return failedMatch
	}
	if !after.IsZero() && !noneMatchPassed && !up.After(after) {
		return notModified
	}
	return passed
}

// anyEtag compares strongly (a weak tag never matches) or weakly (the W/
// flag is ignored).
func anyEtag(list []etagCond, etag string, strong bool) bool {
	for _, e := range list {
		if e.wildcard {
			return true
		}
		if strong && e.weak {
			continue
		}
		if e.value == etag {
			return true
		}
	}
	return false
}

// checkRange validates a range as the Workers runtime does before calling R2.
func checkRange(r *runtime.R2Range) error {
	if r == nil {
		return nil
	}
	if r.Offset != nil && *r.Offset < 0 {
		return runtime.NewR2RangeError("Invalid range. Starting offset (%d) must be greater than or equal to 0.", *r.Offset)
	}
	if r.Length != nil && *r.Length < 0 {
		return runtime.NewR2RangeError("Invalid range. Length (%d) must be greater than or equal to 0.", *r.Length)
	}
	if r.Suffix != nil {
		if *r.Suffix < 0 {
			return runtime.NewR2RangeError("Invalid suffix. Suffix (%d) must be greater than or equal to 0.", *r.Suffix)
		}
		if r.Offset != nil {
			return runtime.NewR2TypeError("Suffix is incompatible with offset.")
		}
		if r.Length != nil {
			return runtime.NewR2TypeError("Suffix is incompatible with length.")
		}
	}
	return nil
}

// resolveRange turns a checked range into offset and length within size.
// Offset past the end, a zero length or a zero suffix is not satisfiable;
// a length past the end is clamped, and so is a suffix longer than the object.
func resolveRange(r *runtime.R2Range, size int64) (off, n int64, err error) {
	if r == nil || (r.Offset == nil && r.Length == nil && r.Suffix == nil) {
		return 0, size, nil
	}
	if r.Suffix != nil {
		s := *r.Suffix
		if s <= 0 {
			return 0, 0, runtime.ErrR2InvalidRange
		}
		s = min(s, size)
		return size - s, s, nil
	}
	if r.Offset != nil {
		off = *r.Offset
	}
	if off > size {
		return 0, 0, runtime.ErrR2InvalidRange
	}
	n = size - off
	if r.Length != nil {
		if *r.Length <= 0 {
			return 0, 0, runtime.ErrR2InvalidRange
		}
		n = min(*r.Length, n)
	}
	return off, n, nil
}
