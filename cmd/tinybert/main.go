// Command tinybert writes a tiny BERT-architecture GGUF embedding model with
// fixed-seed random weights, and optionally creates it in a running Ollama
// server through Ollama's API client (CreateBlob, then Create with Files).
//
// The model exists so the Workers AI `ollama` backend can be tested against
// a real Ollama server offline: its weights are random, so its vectors carry
// no meaning, but they have the right shape, are L2-normalised by the model,
// and are byte-for-byte reproducible. The file is identical on every run for
// the same flags.
//
//	go run ./cmd/tinybert -out /tmp/tiny-bert.gguf
//	go run ./cmd/tinybert -out /tmp/tiny-bert.gguf -ollama-url http://127.0.0.1:11434 -name tiny-bert
//
// Cgo is not needed: the GGUF writer is Ollama's pure-Go fs/ggml package.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/ollama/ollama/api"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tinybert:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tinybert", flag.ContinueOnError)
	spec := DefaultSpec()
	out := fs.String("out", "", "where to write the GGUF file (required)")
	fs.IntVar(&spec.Dim, "dim", spec.Dim, "embedding dimension (hidden size)")
	fs.IntVar(&spec.Layers, "layers", spec.Layers, "encoder layers")
	fs.IntVar(&spec.Heads, "heads", spec.Heads, "attention heads (must divide -dim)")
	fs.IntVar(&spec.FFN, "ffn", spec.FFN, "feed-forward width (0: 4 x dim)")
	fs.IntVar(&spec.Context, "ctx", spec.Context, "context length in tokens")
	fs.Uint64Var(&spec.Seed, "seed", spec.Seed, "weight seed")
	ollamaURL := fs.String("ollama-url", "", "when set, create the model in this Ollama server")
	name := fs.String("name", "tiny-bert", "model name to create in Ollama")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	if spec.FFN == 0 {
		spec.FFN = 4 * spec.Dim
	}
	if err := spec.validate(); err != nil {
		return err
	}

	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := Write(f, spec); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d bytes, %d dims, %d layers, %d heads, vocabulary %d\n",
		*out, st.Size(), spec.Dim, spec.Layers, spec.Heads, len(Vocabulary()))

	if *ollamaURL == "" {
		return nil
	}
	u, err := url.Parse(*ollamaURL)
	if err != nil {
		return fmt.Errorf("-ollama-url: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := create(ctx, api.NewClient(u, http.DefaultClient), *name, *out); err != nil {
		return fmt.Errorf("creating %s in %s: %w", *name, *ollamaURL, err)
	}
	fmt.Fprintf(stdout, "created model %s in %s\n", *name, *ollamaURL)
	return nil
}

// create uploads the GGUF file as a blob and creates a model from it, as
// `ollama create` does for `FROM ./file.gguf`.
func create(ctx context.Context, c *api.Client, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := c.CreateBlob(ctx, digest, f); err != nil {
		return fmt.Errorf("uploading blob: %w", err)
	}
	var last string
	err = c.Create(ctx, &api.CreateRequest{
		Model: name,
		Files: map[string]string{name + ".gguf": digest},
	}, func(p api.ProgressResponse) error {
		last = p.Status
		return nil
	})
	if err != nil {
		return err
	}
	if last != "success" {
		return fmt.Errorf("create ended with status %q, want \"success\"", last)
	}
	return nil
}
