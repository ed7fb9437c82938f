package ai

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"jobmatch-edge/runtime"
)

// Workers AI errors (codes in runtime/codes.go, texts from the Workers AI
// errors page, cloudflare-semantics.md §4.4).
var (
	// ErrNoSuchModel is 5007; its message names the model (Withf).
	ErrNoSuchModel = runtime.NewError(http.StatusBadRequest, runtime.CodeAINoSuchModel, "No such model %s or task")
	// ErrMutuallyExclusive is the binding's InvalidInput for prompt plus messages.
	ErrMutuallyExclusive = runtime.NewError(http.StatusBadRequest, runtime.CodeAIInvalidInput, "prompt and messages are mutually exclusive")
	// ErrBadInput is 5006, a schema validation failure; see badInput.
	ErrBadInput = runtime.NewError(http.StatusBadRequest, runtime.CodeAIBadInput, "")
	// ErrIncompleteRequest is 3003 (an empty REST body).
	ErrIncompleteRequest = runtime.NewError(http.StatusBadRequest, runtime.CodeAIIncompleteRequest, "Request is missing headers or body: body")
	// ErrRequestTooLarge is 3006.
	ErrRequestTooLarge = runtime.NewError(http.StatusRequestEntityTooLarge, runtime.CodeAIRequestTooLarge, "Request is too large")
	// ErrTimeout is 3007 (the caller's deadline passed).
	ErrTimeout = runtime.NewError(http.StatusRequestTimeout, runtime.CodeAITimeout, "Request timeout")
	// ErrAborted is 3008 (the caller cancelled).
	ErrAborted = runtime.NewError(http.StatusRequestTimeout, runtime.CodeAIAborted, "Request was aborted")
	// ErrBackendUnavailable is 3040, used when the Ollama backend cannot
	// serve a request (down, or a model that cannot give the Workers AI
	// shape). Its message says what is wrong and what to run.
	//
	// Differs from Cloudflare: 3040 is Workers AI's "out of capacity" (429);
	// edge answers it with HTTP 503, since the local backend is missing rather
	// than busy.
	ErrBackendUnavailable = runtime.NewError(http.StatusServiceUnavailable, runtime.CodeAIOutOfCapacity, "No more data centers to forward the request to")
)

// badInput builds a 5006 error in the validator's words. The binding's
// message is "Error: <detail>"; the REST API wraps it as
// "AiError: Bad input: Error: <detail> (<request id>)" (see restMessage).
func badInput(format string, args ...any) *runtime.Error {
	return ErrBadInput.Withf("Error: "+format, args...)
}

func noSuchModel(model string) *runtime.Error {
	return ErrNoSuchModel.Withf(ErrNoSuchModel.Message, model)
}

// contextError maps a context failure to 3007 or 3008, or returns nil.
func contextError(ctx context.Context, cause error) error {
	switch {
	case errors.Is(cause, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ErrTimeout.With(cause)
	case errors.Is(cause, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		return ErrAborted.With(cause)
	}
	return nil
}

// unavailable builds a 3040 error whose message carries detail.
func unavailable(cause error, format string, args ...any) *runtime.Error {
	e := ErrBackendUnavailable.Withf("%s: %s", ErrBackendUnavailable.Message, fmt.Sprintf(format, args...))
	e.Err = cause
	return e
}

// restMessage is the message the REST API shows for err: a 5006 schema
// failure becomes "AiError: Bad input: <message> (<request id>)", as
// production prints it [OBS]; other errors keep their message.
func restMessage(e *runtime.Error, requestID string) *runtime.Error {
	if e.Code != runtime.CodeAIBadInput {
		return e
	}
	c := *e
	c.Message = fmt.Sprintf("AiError: Bad input: %s (%s)", e.Message, requestID)
	return &c
}
