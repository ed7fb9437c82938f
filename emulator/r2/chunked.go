package r2

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"strconv"
	"strings"
)

// hashCheckReader passes a body through and, at EOF, fails with
// XAmzContentSHA256Mismatch unless its SHA-256 is want.
type hashCheckReader struct {
	r    io.Reader
	h    hash.Hash
	want string
}

func newHashCheckReader(r io.Reader, want string) *hashCheckReader {
	return &hashCheckReader{r: r, h: sha256.New(), want: strings.ToLower(want)}
}

func (c *hashCheckReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && hex.EncodeToString(c.h.Sum(nil)) != c.want {
		return n, errSHA256Mismatch
	}
	return n, err
}

// lengthCheckReader fails with IncompleteBody unless exactly want bytes
// come through (x-amz-decoded-content-length).
type lengthCheckReader struct {
	r    io.Reader
	n    int64
	want int64
}

func (c *lengthCheckReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if (err == io.EOF && c.n != c.want) || c.n > c.want {
		return n, errIncompleteBody
	}
	return n, err
}

// chunkedReader decodes an aws-chunked body:
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n[trailers\r\n]\r\n
//
// With a signing context it checks every chunk signature against the
// chain that starts at the request's seed signature.
type chunkedReader struct {
	br      *bufio.Reader
	sig     *signed // nil: unsigned chunks
	prevSig string
	left    int64     // bytes left in the current chunk
	chunk   hash.Hash // SHA-256 of the current chunk (signed mode)
	chunkSg string    // the current chunk's signature
	done    bool
	err     error
}

func newChunkedReader(r io.Reader, sig *signed) *chunkedReader {
	c := &chunkedReader{br: bufio.NewReaderSize(r, 64<<10), sig: sig}
	if sig != nil {
		c.prevSig = sig.signature
		c.chunk = sha256.New()
	}
	return c
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			c.err = err
			return 0, err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if c.chunk != nil {
		c.chunk.Write(p[:n])
	}
	if err == io.EOF {
		err = errIncompleteBody
	}
	if err != nil {
		c.err = err
		return n, err
	}
	if c.left == 0 {
		if err := c.endChunk(false); err != nil {
			c.err = err
			return n, err
		}
	}
	return n, nil
}

func (c *chunkedReader) line() (string, error) {
	s, err := c.br.ReadString('\n')
	if err != nil {
		return "", errIncompleteBody
	}
	if !strings.HasSuffix(s, "\r\n") {
		return "", errBadChunk
	}
	return s[:len(s)-2], nil
}

// next reads a chunk header; a zero-size chunk ends the body.
func (c *chunkedReader) next() error {
	head, err := c.line()
	if err != nil {
		return err
	}
	sizeStr, ext, _ := strings.Cut(head, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeStr), 16, 64)
	if err != nil || size < 0 {
		return errBadChunk
	}
	if c.sig != nil {
		v, ok := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature=")
		if !ok {
			return errBadChunk
		}
		c.chunkSg = v
		c.chunk.Reset()
	}
	c.left = size
	if size == 0 {
		if err := c.endChunk(true); err != nil {
			return err
		}
		c.done = true
		return c.trailers()
	}
	return nil
}

// endChunk checks the chunk's signature and, after a data chunk, reads
// the CRLF that ends its data.
func (c *chunkedReader) endChunk(final bool) error {
	if c.sig != nil {
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.sig.amzDate + "\n" + c.sig.scope + "\n" + c.prevSig + "\n" +
			emptyPayloadHash + "\n" + hex.EncodeToString(c.chunk.Sum(nil))
		want := hex.EncodeToString(hmacSHA256(c.sig.key, sts))
		if !signatureEqual(want, c.chunkSg) {
			return &s3Error{Status: 403, Code: "SignatureDoesNotMatch", Message: sigMismatchMessage,
				Extra: [][2]string{{"StringToSign", sts}, {"SignatureProvided", c.chunkSg}}}
		}
		c.prevSig = want
	}
	if final {
		return nil
	}
	if l, err := c.line(); err != nil {
		return err
	} else if l != "" {
		return errBadChunk
	}
	return nil
}

// trailers reads trailing headers up to the empty line. Differs from
// Cloudflare: trailing checksums (x-amz-checksum-*) and the trailer
// signature are read but not verified.
func (c *chunkedReader) trailers() error {
	for {
		l, err := c.line()
		if err != nil {
			if err == errIncompleteBody {
				return nil // some clients end the stream right after the last chunk
			}
			return err
		}
		if l == "" {
			return nil
		}
	}
}
