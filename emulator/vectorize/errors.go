package vectorize

import (
	"fmt"
	"net/http"
	"strings"

	"jobmatch-edge/runtime"
)

// The operations named in Vectorize's error texts, "<OP>_ERROR (code = <n>): <error>".
const (
	opQuery  = "VECTOR_QUERY"
	opInsert = "VECTOR_INSERT"
	opUpsert = "VECTOR_UPSERT"
	opGet    = "VECTOR_GET"
	opDelete = "VECTOR_DELETE"
)

// opError builds the error a Worker sees when the Vectorize backend refuses
// an operation: status 400, the code, and the message in workerd's format.
func opError(op string, code int, format string, args ...any) *runtime.Error {
	return &runtime.Error{
		Status:  http.StatusBadRequest,
		Code:    code,
		Message: fmt.Sprintf("%s_ERROR (code = %d): %s", op, code, fmt.Sprintf(format, args...)),
	}
}

// errParseVectors is the recorded refusal of an insert or upsert body that
// does not parse as vectors.
func errParseVectors(op string) *runtime.Error {
	verb := strings.ToLower(strings.TrimPrefix(op, "VECTOR_"))
	return opError(op, runtime.CodeVectorizeParseVectors, "failed to parse %s vectors request in json format", verb)
}

// ErrIndexNotFound matches (with errors.Is) every missing-index error.
var ErrIndexNotFound = &runtime.Error{Status: http.StatusBadRequest, Code: runtime.CodeVectorizeIndexNotFound}

// ErrDuplicateName matches (with errors.Is) every duplicate-name error.
var ErrDuplicateName = &runtime.Error{Status: http.StatusBadRequest, Code: runtime.CodeVectorizeIndexDuplicateName}

// errIndexNotFound is Vectorize's answer for an index that does not exist.
// Differs from Cloudflare: none known; the status (400, not 404) follows
// recorded responses.
func errIndexNotFound(name string) *runtime.Error {
	return ErrIndexNotFound.Withf("vectorize.index.not_found - Index name %q", name)
}

func errDuplicateName(name string) *runtime.Error {
	return ErrDuplicateName.Withf("vectorize.index.duplicate_name - Index name %q", name)
}

// errValidation is a control-plane validation failure (index creation,
// metadata indexes, list paging) for which no Cloudflare code is recorded.
func errValidation(format string, args ...any) *runtime.Error {
	return &runtime.Error{Status: http.StatusBadRequest, Code: runtime.CodeValidation, Message: fmt.Sprintf(format, args...)}
}
